"""Run every benchmark against the large demo council and write bench/results/latest.md.

    .venv/bin/python bench/run_all.py [--quick]

``--quick`` shortens the load test (20 s) and the submission count, for a smoke run. Each benchmark runs as its own
process (so one failing does not hide the others' figures) and the file records the machine it ran on.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS_DIR, ROOT, ensure_large_council, machine, results_suffix

BENCHES: dict[str, list[str]] = {
    "search": ["bench/search.py"],
    "mash_load": ["bench/mash_load.py"],
    "api_submit": ["bench/api_submit.py"],
    "network": ["bench/network.py"],
    "timescales": ["bench/timescales.py"],
    # Its own synthetic file, not the council: the figures are the same on either database.
    "cin_census": ["bench/cin_census.py"],
}
QUICK_ARGS = {
    "search": ["--queries", "300"],
    "mash_load": ["--seconds", "20"],
    "api_submit": ["--count", "150"],
    "network": ["--children", "60"],
    "timescales": ["--runs", "1", "--seconds", "10"],
    "cin_census": ["--children", "10000"],
}


def _figure_row(label: str, figure: dict[str, float], target: str) -> str:
    return (
        f"| {label} | {figure['count']} | {figure['p50']:.1f} | {figure['p95']:.1f} | {figure['p99']:.1f} | {target} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()

    began = time.perf_counter()
    load_at_start = machine()["load"]
    load = ensure_large_council()
    outputs: dict[str, str] = {}
    for name, command in BENCHES.items():
        extra = QUICK_ARGS[name] if args.quick else []
        print(f"== {name}", flush=True)
        result = subprocess.run(
            [sys.executable, *command, *extra], cwd=ROOT, capture_output=True, text=True, timeout=1800
        )
        outputs[name] = (result.stdout + ("\n" + result.stderr[-2000:] if result.returncode else "")).strip()
        print(outputs[name], flush=True)

    def read(name: str) -> dict[str, object] | None:
        path = RESULTS_DIR / f"{name}{results_suffix()}.json"
        return json.loads(path.read_text()) if path.exists() and path.stat().st_mtime >= began - 5 else None

    facts = machine()
    lines = [
        "# Benchmark results",
        "",
        f"Run {datetime.now(UTC).isoformat(timespec='seconds')} with "
        f"`bench/run_all.py{' --quick' if args.quick else ''}`. Synthetic data only (the large demo council); all "
        "traffic to 127.0.0.1.",
        "",
        "## Machine",
        "",
        f"- CPU: {facts['cpu']} ({facts['cores']} cores, shared with other work during the run)",
        f"- RAM: {facts['ram']}",
        f"- Load average (1 / 5 / 15 min) when the run began: {load_at_start}; when the report was written: "
        f"{facts['load']}",
        f"- Python: {facts['python']}; OS: {facts['os']}",
        f"- Database: {facts['database']}",
        "",
        "## The council",
        "",
    ]
    rows = load.get("rows") or {}
    if isinstance(rows, dict) and rows:
        lines.append(
            f"- {rows.get('person', 0):,} people, {rows.get('contact', 0):,} contacts, "
            f"{rows.get('referral', 0):,} referrals, {load.get('rows_total', 0):,} rows in all"
        )
    if load.get("load_seconds") is not None:
        cpu = f", {load['load_cpu_seconds']} s of CPU in the loader" if load.get("load_cpu_seconds") else ""
        lines.append(f"- Built in {load['load_seconds']} s{cpu} (`safeguarding demo --size large`, one transaction)")
    lines += [
        "",
        "## Figures (milliseconds)",
        "",
        "| Measure | n | p50 | p95 | p99 | Target |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    search = read("search")
    if search:
        lines.append(
            _figure_row(
                "Search before create (`people.search.search`)",
                search["overall"],  # type: ignore[arg-type]
                "p95 <= 50 ms",
            )
        )
    mash = read("mash_load")
    if mash:
        lines.append(_figure_row(f"MASH queue page, {mash['users']} users", mash["queue"], "p95 <= 200 ms"))  # type: ignore[arg-type]
        lines.append(_figure_row(f"MASH contact page, {mash['users']} users", mash["contact"], "p95 <= 200 ms"))  # type: ignore[arg-type]
    api = read("api_submit")
    if api:
        lines.append(_figure_row("POST /api/v1/contacts", api["latency"], "-"))  # type: ignore[arg-type]
    network = read("network")
    if network:
        lines.append(
            _figure_row(
                "A child's 2-step association network",
                network["two_step_ms"],  # type: ignore[arg-type]
                "p95 < 300 ms",
            )
        )
    lines += [""]
    if mash:
        lines.append(f"- MASH load errors: {mash['errors']} (any status other than 200 counts)")
        lines.append(
            f"- MASH load server: {mash.get('server', str(mash['workers']) + ' uvicorn workers')}, "
            "no access log; the load generator is a separate process (asyncio, one keep-alive socket "
            "per user)"
        )
    if api:
        lines.append(
            f"- Contacts accepted through the API: {api['contacts_per_second']} per second "
            f"({api['concurrency']} concurrent clients; errors: {api['errors']})"
        )
    if network:
        runs = ", ".join(f"{t:.2f} s" for t in network["council_seconds"])  # type: ignore[attr-defined]
        lines.append(f"- Whole-council network analyses ({network['nodes']:,} nodes): {runs} (target < 5 s)")
    lines.append(
        "- Timescales (`recompute_all`, `/due/team`) and the CIN census validation: their own reports, "
        "`timescales.md` and `cin-census.md`, and the output below"
    )
    lines += ["", "## Output", ""]
    for name, text in outputs.items():
        lines += [f"### {name}", "", "```", text or "(no output)", "```", ""]
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    report = RESULTS_DIR / f"latest{results_suffix()}.md"
    report.write_text("\n".join(lines))
    print(f"Wrote {report}")


if __name__ == "__main__":
    main()
