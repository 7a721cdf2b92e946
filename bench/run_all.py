"""Run every benchmark, print one summary table and write it to bench/results/latest.md.

Short settings by default (`make bench`, under about ten minutes once the search database
is cached); `--full` for longer runs. Run from the project root:
``.venv/bin/python bench/run_all.py [--full]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

SHORT = {
    "render_bench.py": ["--repeat", "3", "--rounds", "2"],
    "page_bench.py": ["--seconds", "3", "--rounds", "2"],
    "scale_bench.py": ["--seconds", "2", "--rounds", "2", "--samples", "5"],
    "search_bench.py": ["--repeat", "10", "--postgres", "--pg-posts", "1000"],
    "load_test.py": ["--seconds", "20"],
    "dashboard_bench.py": ["--repeat", "10"],
    "mirror_bench.py": ["--posts", "100", "--saves", "2"],
    "hostile_bench.py": ["--seconds", "15"],
}
FULL = {
    "render_bench.py": ["--repeat", "5", "--rounds", "3"],
    "page_bench.py": ["--seconds", "8", "--rounds", "3"],
    "scale_bench.py": ["--seconds", "5", "--rounds", "3", "--samples", "10"],
    "search_bench.py": ["--repeat", "30", "--postgres", "--pg-posts", "10000"],
    "load_test.py": ["--seconds", "60"],
    "dashboard_bench.py": ["--repeat", "30"],
    "mirror_bench.py": ["--posts", "300", "--saves", "3"],
    "hostile_bench.py": ["--seconds", "45"],
}
IMPORT_BENCH = common.BENCH / "import_bench.py"


def run_script(name: str, arguments: list[str], timeout: float) -> tuple[list[dict], str, float]:
    """Run one benchmark in its own process; its result lines, its output's tail, seconds."""
    started = time.perf_counter()
    try:
        completed = subprocess.run(
            [common.PYTHON, str(common.BENCH / name), *arguments],
            cwd=common.ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        output = completed.stdout
        if completed.returncode:
            output += f"\n(exit status {completed.returncode})\n" + completed.stderr[-3000:]
    except subprocess.TimeoutExpired as exc:
        output = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        output += f"\n(stopped after {timeout:.0f} s)"
    results = [
        json.loads(line[len(common.RESULT_MARK) :])
        for line in output.splitlines()
        if line.startswith(common.RESULT_MARK)
    ]
    readable = "\n".join(
        line for line in output.splitlines() if not line.startswith(common.RESULT_MARK)
    )
    return results, readable, time.perf_counter() - started


def verdict(value: float, goal: float, higher_is_better: bool) -> str:
    met = value >= goal if higher_is_better else value <= goal
    return "yes" if met else "no"


def summary_rows(results: dict[str, dict]) -> list[tuple[str, str, str, str]]:
    """(measure, figure, goal, met) for every result that came back."""
    rows: list[tuple[str, str, str, str]] = []
    if page := results.get("page"):
        for key in ("deployed", "deployed-304", "no-recycle", "no-recycle-304"):
            row = page[key]
            label = "post page (40 turns) / same bytes from a trivial app"
            label += ", If-None-Match → 304" if key.endswith("304") else ""
            label += ", workers recycled" if key.startswith("deployed") else ", no recycling"
            rows.append(
                (
                    label,
                    f"{row['app_rps']:.0f} / {row['static_rps']:.0f} req/s = {row['ratio']:.2f}",
                    "≥ 0.70",
                    verdict(row["ratio"], 0.7, True),
                )
            )
    if scale := results.get("scale"):
        for key, row in scale["ratios"].items():
            if "rps_100" in row:
                figure = (
                    f"{row['rps_100']:.0f} / {row['rps_10000']:.0f} req/s = {row['ratio']:.2f}×"
                )
                label = f"{key} throughput, 100 posts / 10,000 posts"
            else:
                figure = f"{row['ms_100']:.1f} → {row['ms_10000']:.1f} ms = {row['ratio']:.2f}×"
                label = f"{key.replace('cold_first_ms', 'first request after a change')}"
                label += ", 10,000 posts / 100"
            rows.append((label, figure, "≤ 1.2×", verdict(row["ratio"], 1.2, False)))
    if search := results.get("search"):
        for backend, turns_key in (("sqlite", "turns"), ("postgres", "pg_turns")):
            for name, row in search.get(backend, {}).items():
                rows.append(
                    (
                        f"search {backend}, {search[turns_key]:,} turns: {name} `{row['query']}`",
                        f"p50 {row['p50_ms']:.1f} ms, p99 {row['p99_ms']:.1f} ms",
                        "",
                        "",
                    )
                )
        if search.get("sqlite_seed_s"):
            rows.append(("search SQLite seeding time", f"{search['sqlite_seed_s']:.0f} s", "", ""))
        if search.get("postgres_seed_s"):
            rows.append(
                ("search PostgreSQL seeding time", f"{search['postgres_seed_s']:.0f} s", "", "")
            )
    if mirror := results.get("mirror"):
        rows.append(
            (
                f"mirror: a settings save's request, {mirror['posts']} posts",
                f"{mirror['settings_save_ms']:.0f} ms",
                "< 1000 ms",
                "yes" if mirror["settings_save_ms"] < 1000 else "no",
            )
        )
        rows.append(
            (
                f"mirror: the worker's full rebuild after it, {mirror['posts']} posts",
                f"{mirror['worker_rebuild_s']:.1f} s, "
                f"{mirror['worker_rebuild_ms_per_post']:.0f} ms per post, the worker's peak "
                f"{mirror['worker_peak_pss_mb']:.0f} MB PSS",
                "",
                "",
            )
        )
        rows.append(
            (
                f"mirror: a post retitled mid-site, {mirror['posts']} posts: the details "
                "save's request, the Update's",
                f"{mirror['retitle_save_ms']:.0f} ms, {mirror['retitle_update_ms']:.0f} ms",
                "< 1000 ms",
                "yes"
                if max(mirror["retitle_save_ms"], mirror["retitle_update_ms"]) < 1000
                else "no",
            )
        )
    if dashboard := results.get("dashboard"):
        for size, figures in dashboard["sizes"].items():
            for name, row in figures.items():
                rows.append(
                    (
                        f"studio dashboard, {int(size):,} drafts: {name}",
                        f"p50 {row['p50_ms']:.1f} ms, {row['statements']} SQL statements",
                        "",
                        "",
                    )
                )
    if render := results.get("render"):
        rows.append(
            (
                f"render {render['turns']} turns per request / stored HTML",
                f"{render['render_ms']:.1f} ms / {render['stored_ms']:.4f} ms",
                "",
                "",
            )
        )
        rows.append(
            (
                "render from 8 threads: outputs unlike single-threaded",
                f"{render['mismatches']} of {render['threaded_renders']}",
                "0",
                verdict(render["mismatches"], 0, False),
            )
        )
        rows.append(
            (
                "render an 84 kB reply from 8 threads: unlike single-threaded",
                f"{render['long_mismatches']} of {render['long_renders']}",
                "0",
                verdict(render["long_mismatches"], 0, False),
            )
        )
    if load := results.get("load"):
        for backend in ("sqlite", "postgresql"):
            if counts := load.get(backend):
                figure = (
                    f"5xx {counts['5xx']}, lost edits {counts['lost edits']}, "
                    f"{counts.get('acknowledged saves', 0)} saves, "
                    f"{counts.get('reader requests', 0)} reads, "
                    f"409s {counts.get('409 stale (reloaded and retried)', 0)}, "
                    f"published shows last save: {counts['published page shows last save']}"
                )
                ok = counts["5xx"] == 0 and counts["lost edits"] == 0
                rows.append(
                    (
                        f"load test {load['seconds']:.0f} s, {backend}",
                        figure,
                        "0 / 0",
                        "yes" if ok else "no",
                    )
                )
    if hostile := results.get("hostile"):
        refused = hostile["hostile refused (413 or closed)"] == hostile["hostile requests"]
        rows.append(
            (
                f"readers' p99 during hostile requests and 40 MB uploads ({hostile['seconds']:.0f} s)",
                f"{hostile['reader p99 ms']:.0f} ms ({hostile['hostile requests']} refused bodies)",
                "< 1000 ms",
                "yes" if hostile["reader p99 ms"] < 1000 and refused else "no",
            )
        )
        rows.append(
            (
                "largest worker memory growth under hostile requests",
                f"{hostile['largest worker growth MB']:.0f} MB",
                "< 100 MB",
                "yes" if hostile["largest worker growth MB"] < 100 else "no",
            )
        )
    return rows


def markdown_report(
    machine: dict[str, str], rows: list, outputs: dict[str, str], mode: str, elapsed: float
) -> str:
    lines = [
        f"# Benchmark results ({mode} settings)",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {elapsed / 60:.1f} minutes.",
        "",
        "| Machine | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in machine.items()),
        "",
        "| Measure | Figure | Goal | Met |",
        "|---|---|---|---|",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows),
        "",
    ]
    for name, output in outputs.items():
        lines += [f"## {name}", "", "```", output.strip(), "```", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true", help="longer runs, larger PostgreSQL")
    args = parser.parse_args()
    settings = FULL if args.full else SHORT
    started = time.perf_counter()
    machine = common.machine_description()
    machine["Load average at start"] = " ".join(f"{n:.2f}" for n in os.getloadavg())
    results: dict[str, dict] = {}
    outputs: dict[str, str] = {}
    for name, arguments in settings.items():
        print(f"== {name} {' '.join(arguments)}", flush=True)
        found, output, seconds = run_script(name, arguments, timeout=1800)
        print(output.strip() + f"\n({seconds:.0f} s)\n", flush=True)
        outputs[name] = output
        for result in found:
            results[result["bench"]] = result
    if IMPORT_BENCH.exists():
        print("== import_bench.py", flush=True)
        _, output, seconds = run_script("import_bench.py", ["--with-app"], timeout=1200)
        print(output.strip() + f"\n({seconds:.0f} s)\n", flush=True)
        outputs["import_bench.py"] = output
    machine["Load average at end"] = " ".join(f"{n:.2f}" for n in os.getloadavg())
    rows = summary_rows(results)
    width = max((len(row[0]) for row in rows), default=10)
    print("Summary")
    for measure, figure, goal, met in rows:
        print(f"  {measure:<{width}}  {figure}  {('goal ' + goal) if goal else ''} {met}")
    common.RESULTS.mkdir(parents=True, exist_ok=True)
    report = markdown_report(
        machine, rows, outputs, "full" if args.full else "short", time.perf_counter() - started
    )
    (common.RESULTS / "latest.md").write_text(report)
    print(f"\nWritten to {common.RESULTS / 'latest.md'}")


if __name__ == "__main__":
    main()
