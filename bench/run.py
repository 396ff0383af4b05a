"""`make bench`: every benchmark, each task in its own process on a fresh database.

Writes bench/results/latest.json:
{"machine": {...}, "benchmarks": [{"name", "db", "value", "unit", "baseline", "ratio"}]}
Ratios are against a baseline measured in the same run on the same machine, never against
a fixed number: the figures are for reading, the tests never assert wall-clock limits.

Environment: FANGKONG_BENCH_DBS (default "sqlite,postgresql"), FANGKONG_BENCH_SIZES
(default "100000,1000000") to run smaller for a quick look.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def run_task(task: str, db: str, size: int) -> dict:
    """Run one task in a child process and return the JSON it prints last."""
    cmd = [sys.executable, "-m", "bench.run", "--task", task, "--db", db, "--size", str(size)]
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"benchmark task {task} on {db} failed")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(
        f"  {task:<12} {db:<10} n={size:<9} {time.perf_counter() - started:6.1f}s  {result}",
        flush=True,
    )
    return result


def child(task: str, db: str, size: int) -> dict:
    from bench.common import fresh_database, setup_django

    if task == "registration":  # runs its own servers on its own databases
        from bench.bench_registration import bench_registration

        return bench_registration(db, residents=size)
    with fresh_database(db) as env:
        setup_django(env)
        if task == "raw_insert":
            from bench.raw_insert import bench_raw_insert

            return bench_raw_insert(rows=size)
        if task == "seed":
            from bench.bench_seed import bench_generation

            return bench_generation(size)
        if task == "seed_lookup":
            from bench.bench_seed import bench_generation
            from bench.bench_testing import bench_coverage, bench_fanout, fill_round
            from bench.lookup import bench_lookup

            out = {"seed": bench_generation(size), "lookup": bench_lookup()}
            filled = fill_round(2 * size)
            out["fill"] = filled
            out["coverage"] = bench_coverage(filled["round"])
            out["fanout"] = bench_fanout(filled["round"])
            return out
    raise SystemExit(f"unknown task {task}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--task")
    parser.add_argument("--db", default="sqlite")
    parser.add_argument("--size", type=int, default=0)
    args = parser.parse_args()
    if args.task:
        print(json.dumps(child(args.task, args.db, args.size)))
        return

    from bench.common import machine

    dbs = os.environ.get("FANGKONG_BENCH_DBS", "sqlite,postgresql").split(",")
    sizes = [int(s) for s in os.environ.get("FANGKONG_BENCH_SIZES", "100000,1000000").split(",")]
    rows: list[dict] = []

    def add(name, db, value, unit, baseline=None):
        ratio = value / baseline if baseline else None
        rows.append(
            {
                "name": name,
                "db": db,
                "value": round(value, 2),
                "unit": unit,
                "baseline": round(baseline, 2) if baseline else None,
                "ratio": round(ratio, 4) if ratio is not None else None,
            }
        )

    for db in dbs:
        print(f"[{db}]", flush=True)
        raw = run_task("raw_insert", db, 200_000)
        add("raw_bulk_insert", db, raw["rows_per_s"], "rows/s")
        for n in sizes:
            last = n == sizes[-1]
            result = run_task("seed_lookup" if last else "seed", db, n)
            seed = result["seed"] if last else result
            add(
                f"demo_generation_{n}",
                db,
                seed["residents_per_s"],
                "residents/s",
                raw["rows_per_s"],
            )
            add(f"demo_generation_{n}_peak_rss", db, seed["peak_rss_mb"], "MiB")
            if last:
                lk = result["lookup"]
                add(
                    f"lookup_by_id_{lk['residents']}_p50",
                    db,
                    lk["index_p50_us"],
                    "µs",
                    lk["pk_p50_us"],
                )
                add(
                    f"lookup_by_id_{lk['residents']}_p99",
                    db,
                    lk["index_p99_us"],
                    "µs",
                    lk["pk_p99_us"],
                )

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {"machine": machine(), "benchmarks": rows}
    (RESULTS / "latest.json").write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
    print(
        f"\n{'benchmark':<40} {'db':<11} {'value':>14} {'unit':<12} {'baseline':>12} {'ratio':>8}"
    )
    for r in rows:
        base = "" if r["baseline"] is None else f"{r['baseline']:.2f}"
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.3f}"
        print(
            f"{r['name']:<40} {r['db']:<11} {r['value']:>14.2f} {r['unit']:<12} {base:>12} {ratio:>8}"
        )
    print(f"\nwritten to {RESULTS / 'latest.json'}")


if __name__ == "__main__":
    main()
