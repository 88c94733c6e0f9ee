"""SSDA903 validation of a 100,000-child return with last year's: wall time and peak memory, beside reading alone.

Generates (bench/ssda903_data.py, seeded) this year's return of 100,000 children and last year's, cut from the same
histories, as the DfE's CSV tables under var/bench/ssda903/, then runs, each in its own process so its peak RSS is
its own (os.wait4):

- read: both returns read into the typed rows (the reader alone, no rules);
- validate: ``safeguarding returns ssda903 validate NOW --previous LAST --year 2026 --format csv`` (every rule of
  the year, the rules comparing years included, findings written out), with its default worker processes (each
  reads every file and keeps and checks its share of the children), then in one process (``--workers 1``);
- with reference data: the same with ``--reference REF --la E09000027`` (the council's copy of Ofsted's provider
  list and the postcode sectors, written beside the return from the same histories), so that the rules on URNs,
  the register, distance and LA of placement run too.

Target: validation under 10 s and under 1 GB. Writes bench/results/ssda903.md (or ``--out``'s name there).

    .venv/bin/python bench/ssda903.py [--children 100000] [--seed 3] [--regenerate] [--out NAME.md]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cin_census import measure
from common import BENCH_DIR, RESULTS_DIR, ROOT, machine

if TYPE_CHECKING:
    from safeguarding.returns.ssda903.tables import ChildRecord

TARGET_SECONDS = 10.0
TARGET_MB = 1024.0
YEAR = 2026

READ_ONLY = """
import sys
from safeguarding.returns.ssda903.reader import read_return
now, last = read_return(sys.argv[1]), read_return(sys.argv[2])
print(len(now.children), len(last.children))
"""


OWN_LA = "E09000027"


def write_reference(folder: Path, *returns: list[ChildRecord]) -> None:
    """providers.csv and postcodes.csv knowing every URN and postcode sector of the returns, all in the council's
    own LA, each sector at its own place within about 35 miles (as tests/returns/test_ssda903_rules.reference_for)."""
    from safeguarding.returns.ssda903.reference import sector_of

    sectors: dict[str, tuple[float, float]] = {}
    providers: dict[str, tuple[str, set[str], set[str]]] = {}
    for records in returns:
        for record in records:
            for e in record.episodes:
                for postcode in (e.home_post, e.pl_post):
                    key = sector_of(postcode)
                    if key is not None and key not in sectors:
                        n = sum(map(ord, key))
                        sectors[key] = (51.3 + (n % 50) / 100, -0.5 + (n % 37) / 100)
                if e.urn and e.urn != "XXXXXXX":
                    held = providers.setdefault(e.urn, (sector_of(e.pl_post) or "", set(), set()))
                    held[1].add(e.place or "")
                    held[2].add(e.place_provider or "")
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "postcodes.csv").open("w", encoding="utf-8") as out:
        out.write("SECTOR,LA,LATITUDE,LONGITUDE\n")
        out.writelines(f"{key},{OWN_LA},{lat:.4f},{lon:.4f}\n" for key, (lat, lon) in sorted(sectors.items()))
    with (folder / "providers.csv").open("w", encoding="utf-8") as out:
        out.write("URN,POSTCODE,PLACE_CODES,PROVIDER_CODES\n")
        out.writelines(
            f"{urn},{where},{' '.join(sorted(places))},{' '.join(sorted(kinds))}\n"
            for urn, (where, places, kinds) in sorted(providers.items())
        )


def generate(folder: Path, children: int, seed: int) -> None:
    from safeguarding.returns.ssda903.tables import CollectionYear, tables_for
    from safeguarding.returns.ssda903.writer import write_csv
    from ssda903_data import generate as stories

    current, previous = stories(children, seed, CollectionYear(YEAR))
    write_csv(current, folder / "now", tables_for(YEAR))
    write_csv(previous, folder / "last", tables_for(YEAR - 1))
    write_reference(folder / "reference", current, previous)
    episodes = sum(len(c.episodes) for c in current)
    print(f"generated {len(current)} children ({episodes} episodes) and last year's {len(previous)}", flush=True)


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.iterdir()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--out", default="ssda903.md", help="the result's file name in bench/results/")
    args = parser.parse_args()
    folder = BENCH_DIR / "ssda903" / f"return-{args.children}-{args.seed}"
    if args.regenerate or not (folder / "reference" / "providers.csv").exists():
        started = time.perf_counter()
        generate(folder, args.children, args.seed)
        print(f"generation took {time.perf_counter() - started:.1f} s", flush=True)
    now, last = folder / "now", folder / "last"
    # This interpreter, and this checkout's source ahead of whatever the environment installed (a worktree's bench
    # measures the worktree's code).
    python = sys.executable
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH")) if p)
    load_before = os.getloadavg()
    read = measure([python, "-c", READ_ONLY, str(now), str(last)])
    command = [python, "-m", "safeguarding.cli", "returns", "ssda903", "validate", str(now), "--previous", str(last)]
    validate = measure([*command, "--year", str(YEAR), "--format", "csv"])
    alone = measure([*command, "--year", str(YEAR), "--format", "csv", "--workers", "1"])
    referenced = measure(
        [*command, "--year", str(YEAR), "--format", "csv", "--reference", str(folder / "reference"), "--la", OWN_LA]
    )
    episodes = sum(1 for _ in (now / "episodes.csv").open()) - 1
    rows = [
        ("read both returns (reader to typed rows, no rules)", read),
        (f"validate (every rule, CSV findings; {len(os.sched_getaffinity(0))} cores: default workers)", validate),
        ("validate in one process (--workers 1)", alone),
        ("validate with reference data (--reference, --la: every rule)", referenced),
    ]
    print(f"{args.children} children, {episodes} episodes; {size_mb(now):.0f} MB + last year's {size_mb(last):.0f} MB")
    for name, (wall, rss, _, cpu) in rows:
        print(f"  {name:<52} {wall:6.2f} s wall  {cpu:6.2f} s CPU  {rss:7.0f} MB peak RSS")
    print(f"  validator said: {validate[2]}")
    ok = validate[0] < TARGET_SECONDS and validate[1] < TARGET_MB
    print(f"target under {TARGET_SECONDS:.0f} s and {TARGET_MB:.0f} MB: {'met' if ok else 'NOT met'}")
    facts = machine()
    lines = [
        "# SSDA903 validation: 100,000 children with last year's return",
        "",
        f"Synthetic return (bench/ssda903_data.py, seed {args.seed}): {args.children} children, {episodes} episodes, "
        f"{size_mb(now):.0f} MB of CSV tables; last year's {size_mb(last):.0f} MB, cut from the same histories.",
        f"Machine: {facts.get('cpu', '?')}, {facts.get('cores', '?')} cores shared with other work; "
        f"Python {facts.get('python', '?')}.",
        "",
        f"Load average before: {' / '.join(f'{x:.1f}' for x in load_before)}; at the end: {facts.get('load', '?')}.",
        "",
        "| step | wall time | CPU time | peak RSS |",
        "| --- | --- | --- | --- |",
        *[f"| {name} | {wall:.2f} s | {cpu:.2f} s | {rss:.0f} MB |" for name, (wall, rss, _, cpu) in rows],
        "",
        f"Validator: {validate[2]}",
        "",
        f"Target (validation under {TARGET_SECONDS:.0f} s and under {TARGET_MB:.0f} MB): "
        f"{'met' if ok else 'not met'} as measured. Each step runs in its own process; CPU time and peak RSS are "
        "os.wait4's (CPU summed over the workers; peak RSS the largest one process's). On a machine this busy wall "
        f"time is mostly waiting for a core: with the cores free, wall time is about CPU time / cores = "
        f"{validate[3] / len(os.sched_getaffinity(0)):.1f} s with the workers, {alone[3]:.1f} s in one process.",
    ]
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / args.out).write_text("\n".join(lines) + "\n")
    print(f"wrote {RESULTS_DIR / args.out}")


if __name__ == "__main__":
    main()
