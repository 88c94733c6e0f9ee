"""The association network on the large demo council: a child's 2-step network, and whole-council analyses.

On the benchmarks' shared large council (``bench/common.py``: var/bench/large.db, or
SAFEGUARDING_BENCH_DATABASE_URL, e.g. PostgreSQL; built once if missing), it measures, through the services
(access check, loading within access, audit row at commit):

- a child's 2-step network (``network_service.centred_network``), over many children: children at risk and those
  at the council's hot spots (well connected) as well as children picked at random. Target p95 < 300 ms.
- the whole-council analyses (clusters, peer groups, adults linked to most children, shared places, unscreened
  siblings, overlapping risks: ``network_service.council_analyses``) and the overlap query on its own.
  Target < 5 s each.

    .venv/bin/python bench/network.py [--children 300] [--seed 5] [--build-only]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS_DIR, bench_database_url, ensure_large_council, figures, machine, results_suffix

TARGET_P95_MS = 300.0
TARGET_COUNCIL_S = 5.0


def pick_children(database: object, count: int, seed: int) -> list[tuple[str, int]]:
    """A third children at risk, a third at hot spots (well connected), a third at random."""
    from sqlalchemy import func, select

    from safeguarding.exploitation.models import ContextLink, Screening
    from safeguarding.people.models import Person, PersonKind

    rng = random.Random(seed)
    with database.transaction() as s:  # type: ignore[attr-defined]
        at_risk = sorted(set(s.scalars(select(Screening.person_id).where(Screening.band.in_(("medium", "high"))))))
        busiest = list(
            s.execute(
                select(ContextLink.context_id, func.count())
                .group_by(ContextLink.context_id)
                .order_by(func.count().desc())
                .limit(5)
            )
        )
        hot = sorted(
            set(s.scalars(select(ContextLink.person_id).where(ContextLink.context_id.in_([c for c, _ in busiest]))))
        )
        top = s.scalar(select(func.max(Person.id))) or 0
        sample = rng.sample(range(1, top + 1), min(top, count * 4))
        random_children = list(
            s.scalars(select(Person.id).where(Person.id.in_(sample), Person.kind == PersonKind.CHILD.value))
        )
    third = count // 3
    chosen = (
        rng.sample(at_risk, min(third, len(at_risk)))
        + rng.sample(hot, min(third, len(hot)))
        + random_children[: count - 2 * third]
    )
    rng.shuffle(chosen)
    return [("person", child) for child in chosen]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=300)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args()
    facts = ensure_large_council()
    if args.build_only:
        return

    from sqlalchemy import select

    from safeguarding.core.db import Database
    from safeguarding.core.users import User
    from safeguarding.exploitation import network_service
    from safeguarding.exploitation.network_service import NetworkQuery, Visibility

    database = Database(bench_database_url())
    with database.transaction() as s:
        user = s.scalar(select(User).where(User.username == "exploitation"))
        assert user is not None
        s.expunge(user)
    centres = pick_children(database, args.children, args.seed)
    # One warm-up query (imports, statement caches), not counted.
    with database.transaction() as s:
        s.add(user)
        network_service.centred_network(s, database, user, NetworkQuery(centres[0], 2))
        s.expunge(user)
    samples: list[float] = []
    sizes: list[int] = []
    truncated = 0
    for centre in centres:
        began = time.perf_counter()
        with database.transaction() as s:
            s.add(user)
            view = network_service.centred_network(s, database, user, NetworkQuery(centre, 2))
            s.expunge(user)
        samples.append((time.perf_counter() - began) * 1000)
        sizes.append(len(view.nodes))
        truncated += int(view.truncated)
    two_step = figures(samples)
    print(
        f"child 2-step network: {two_step.line()}  (nodes per network: median {sorted(sizes)[len(sizes) // 2]}, "
        f"max {max(sizes)}; {truncated} cut at {network_service.MAX_NODES})"
    )

    council_runs: list[float] = []
    result = None
    for _ in range(3):
        began = time.perf_counter()
        with database.transaction() as s:
            s.add(user)
            result = network_service.council_analyses(s, database, user)
            s.expunge(user)
        council_runs.append(time.perf_counter() - began)
    assert result is not None
    print(
        f"whole-council analyses: {', '.join(f'{t:.2f} s' for t in council_runs)}  ({result.nodes:,} nodes, "
        f"{result.links:,} links, {result.cluster_count:,} clusters of two or more)"
    )
    overlap_runs: list[float] = []
    for _ in range(3):
        began = time.perf_counter()
        with database.transaction() as s:
            s.add(user)
            overlapping = network_service.overlapping_risks(s, Visibility(s, user))
            s.expunge(user)
        overlap_runs.append(time.perf_counter() - began)
    print(
        f"overlapping risks alone: {', '.join(f'{t * 1000:.0f} ms' for t in overlap_runs)} "
        f"({len(overlapping)} children listed)"
    )
    database.dispose()

    info = machine()
    info["database"] = bench_database_url()
    verdict_two = "meets" if two_step.p95 < TARGET_P95_MS else "misses"
    verdict_council = "meets" if max(council_runs) < TARGET_COUNCIL_S else "misses"
    lines = [
        "# Association network on the large demo council",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `bench/network.py` (through the services: access check, "
        "loading within access, audit row written at commit).",
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['ram']}, load {info['load']}; Python "
        f"{info['python']}; {info['database']}. The machine is shared: figures vary with what else runs.",
        "",
        f"Council: the large demo council (bench/common.py, seed 1), {result.nodes:,} network nodes (people, "
        f"places, vehicles and phones with at least one link) and {result.links:,} links; built in "
        f"{facts.get('load_seconds', '?')} s.",
        "",
        "| measure | figure | target | |",
        "| --- | --- | --- | --- |",
        f"| child's 2-step network ({two_step.count} children: at risk, at hot spots, at random) | p50 "
        f"{two_step.p50:.0f} ms, p95 {two_step.p95:.0f} ms, max {two_step.maximum:.0f} ms | p95 < 300 ms | "
        f"{verdict_two} |",
        f"| whole-council analyses (3 runs) | {', '.join(f'{t:.2f} s' for t in council_runs)} | < 5 s | "
        f"{verdict_council} |",
        f"| overlapping risks alone (3 runs) | {', '.join(f'{t * 1000:.0f} ms' for t in overlap_runs)} | < 5 s | "
        f"{'meets' if max(overlap_runs) < TARGET_COUNCIL_S else 'misses'} |",
        "",
        f"Nodes per 2-step network: median {sorted(sizes)[len(sizes) // 2]}, max {max(sizes)} "
        f"({truncated} networks cut at the {network_service.MAX_NODES}-node limit).",
        "",
    ]
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    suffix = results_suffix()
    (RESULTS_DIR / f"network{suffix}.md").write_text("\n".join(lines))
    (RESULTS_DIR / f"network{suffix}.json").write_text(
        json.dumps(
            {
                "machine": info,
                "council": facts,
                "nodes": result.nodes,
                "links": result.links,
                "two_step_ms": two_step.__dict__,
                "council_seconds": council_runs,
                "overlap_seconds": overlap_runs,
                "nodes_per_network": {
                    "median": sorted(sizes)[len(sizes) // 2],
                    "max": max(sizes),
                    "truncated": truncated,
                },
            },
            indent=2,
            default=str,
        )
    )
    print(f"wrote {RESULTS_DIR / f'network{suffix}.md'}")


if __name__ == "__main__":
    main()
