"""`make bench`: every benchmark, each task in its own process on a fresh database.

Writes bench/results/latest.json:
{"machine": {...}, "benchmarks": [{"name", "db", "value", "unit", "baseline", "ratio"}]}
Ratios are against a baseline measured in the same run on the same machine, never against
a fixed number: the figures are for reading, the tests never assert wall-clock limits.

Environment: FANGKONG_BENCH_DBS (default "sqlite,postgresql"), FANGKONG_BENCH_SIZES
(default "100000,1000000") to run smaller for a quick look. FANGKONG_BENCH_TASKS (default
all: "seed,registration,pg_restart,governance,tracing,pushed,june13,services") runs a part again:
its rows replace the same rows of the last latest.json, and ratios use the baseline stored
there when raw_insert does not run.
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
# FANGKONG_BENCH_TRACING_SCANS sizes the scans table of "tracing" (default 10 million).
# "pushed" matches a list of 10,000 rows against FANGKONG_BENCH_PUSHED_RESIDENTS (default 100,000).
# "june13" replays the seed's day on a district of FANGKONG_BENCH_JUNE13_RESIDENTS (default
# 50,000) at FANGKONG_BENCH_JUNE13_SCALE (default 1: 6,799 people in 360 tubes).


def run_task(task: str, db: str, size: int) -> dict:
    """Run one task in a child process and return the JSON it prints last."""
    cmd = [sys.executable, "-m", "bench.run", "--task", task, "--db", db, "--size", str(size)]
    # The task before this one may have left gigabytes of dirty pages (a million residents,
    # a deleted cluster) for the kernel to write back on the same two cores: flushed here,
    # they are not measured as part of this task.
    os.sync()
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
    if task in ("june13", "services"):
        # The replay's server runs in production mode, as bench's others; the services
        # task's in-process figures too: with DEBUG on, Django logs every statement, and on
        # SQLite quotes every parameter of a bulk insert again to log it.
        os.environ.update(
            FANGKONG_ENV="production",
            FANGKONG_ALLOWED_HOSTS="127.0.0.1,localhost",
            FANGKONG_LOG_LEVEL="WARNING",
        )
    if task == "june13":
        from bench.bench_scenario import bench_june13

        with fresh_database(db) as env:
            setup_django(env)
            scale = float(os.environ.get("FANGKONG_BENCH_JUNE13_SCALE", "1"))
            return bench_june13(residents=size, scale=scale)
    if task == "pg_restart":  # its own cluster, killed and restarted under load
        from bench.db_faults import bench_pg_restart

        return bench_pg_restart(residents=size)
    with fresh_database(db) as env:
        setup_django(env)
        if task == "tracing":
            from bench.bench_tracing import bench_tracing

            return bench_tracing(scans=size)
        if task == "pushed":
            from bench.bench_pushed import bench_pushed

            return bench_pushed(residents=size)
        if task == "raw_insert":
            from bench.raw_insert import bench_raw_insert

            return bench_raw_insert(rows=size)
        if task == "governance":
            from bench.bench_governance import bench_governance

            return bench_governance(size)
        if task == "services":
            from bench.bench_services import bench_services

            return bench_services(size)
        if task == "seed":
            from bench.bench_seed import bench_generation

            return bench_generation(size)
        if task == "seed_lookup":
            from bench.bench_seed import bench_generation
            from bench.bench_testing import bench_coverage, bench_fanout, fill_round
            from bench.lookup import bench_lookup

            out = {"seed": bench_generation(size), "lookup": bench_lookup()}
            from bench.bench_zones import bench_checkpoint_http, bench_lifting, designate_many

            filled = fill_round(2 * size)
            out["fill"] = filled
            out["coverage"] = bench_coverage(filled["round"])
            out["fanout"] = bench_fanout(filled["round"])
            out["zones"] = designate_many(int(os.environ.get("FANGKONG_BENCH_ZONES", "500")))
            out["lifting"] = bench_lifting(repeats=1)
            out["checkpoint"] = bench_checkpoint_http()
            from bench.bench_command import bench_dashboard

            out["dashboard"] = bench_dashboard()
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

    # Every child and server of this run shares fresh keys, so nothing runs on the demo keys
    # and the HTTP benchmarks can use the production settings.
    import base64

    from bench.common import machine

    for name, size in (
        ("FANGKONG_SECRET_KEY", 48),
        ("FANGKONG_FIELD_KEY", 32),
        ("FANGKONG_BLIND_INDEX_KEY", 32),
    ):
        os.environ.setdefault(name, base64.b64encode(os.urandom(size)).decode())
    dbs = os.environ.get("FANGKONG_BENCH_DBS", "sqlite,postgresql").split(",")
    every = "seed,registration,pg_restart,governance,tracing,pushed,june13,services"
    tasks = set(os.environ.get("FANGKONG_BENCH_TASKS", every).split(","))
    previous: list[dict] = []
    if tasks != set(every.split(",")) and (RESULTS / "latest.json").exists():
        previous = json.loads((RESULTS / "latest.json").read_text())["benchmarks"]
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
        stored = [r for r in previous if r["name"] == "raw_bulk_insert" and r["db"] == db]
        if "seed" in tasks or (not stored and tasks & {"registration", "services"}):
            base = run_task("raw_insert", db, 200_000)["rows_per_s"]
            add("raw_bulk_insert", db, base, "rows/s")
        else:
            base = stored[0]["value"] if stored else None
        for n in sizes if "seed" in tasks else []:
            last = n == sizes[-1]
            result = run_task("seed_lookup" if last else "seed", db, n)
            seed = result["seed"] if last else result
            add(f"demo_generation_{n}", db, seed["residents_per_s"], "residents/s", base)
            add(f"demo_generation_{n}_peak_rss", db, seed["peak_rss_mb"], "MiB")
            if not last:
                continue
            lk, fill = result["lookup"], result["fill"]
            people, samples = lk["residents"], fill["samples"]
            add(f"lookup_by_id_{people}_p50", db, lk["index_p50_us"], "µs", lk["pk_p50_us"])
            add(f"lookup_by_id_{people}_p99", db, lk["index_p99_us"], "µs", lk["pk_p99_us"])
            add(f"round_fill_{samples}_samples", db, samples / fill["seconds"], "samples/s", base)
            cov = result["coverage"]
            add(f"coverage_by_grid_{people}_residents", db, cov["median_s"], "s")
            # The first read of a process counts the population (then cached until it changes).
            add(f"coverage_by_grid_{people}_residents_first", db, cov["max_s"], "s")
            fan = result["fanout"]
            add(f"positive_pool_fanout_{samples}_samples_p50", db, fan["p50_ms"], "ms")
            add(f"positive_pool_fanout_{samples}_samples_p99", db, fan["p99_ms"], "ms")
            lift, cp = result["lifting"], result["checkpoint"]
            add(
                f"lifting_evaluation_{lift['zones']}_zones_{people}_residents",
                db,
                lift["median_s"],
                "s",
            )
            add("checkpoint_decision_http_p50", db, cp["p50_ms"], "ms")
            add("checkpoint_decision_http_p99", db, cp["p99_ms"], "ms")
            if "dashboard" in result:
                dash = result["dashboard"]
                add(f"dashboard_render_{people}_residents", db, dash["median_ms"], "ms")
                add(f"dashboard_live_update_{people}_residents", db, dash["live_median_ms"], "ms")
                # The first render of a process: templates compiled, population counted.
                add(f"dashboard_render_{people}_residents_first", db, dash["max_ms"], "ms")
        if "pg_restart" in tasks and db == "postgresql":
            pg = run_task(
                "pg_restart", db, int(os.environ.get("FANGKONG_BENCH_REG_RESIDENTS", "100000"))
            )
            add("pg_restart_acknowledged_samples", db, pg["acked"], "samples")
            add("pg_restart_stored_samples", db, pg["stored"], "samples")
            add("pg_restart_lost_samples", db, pg["lost"], "samples")
            add(
                "pg_restart_duplicate_or_unacknowledged",
                db,
                pg["duplicates"] + pg["unacknowledged_stored"],
                "samples",
            )
            add("pg_restart_answers_503", db, pg["answered_503"], "answers")
            add("pg_restart_database_down", db, pg["database_down_s"], "s")
            if pg["recover_s"] is not None:
                add("pg_restart_seconds_to_recover", db, pg["recover_s"], "s")
        for n in sizes if "governance" in tasks else []:
            gov = run_task("governance", db, n)
            add(f"case_list_scoped_filtered_{n}_cases", db, gov["list"]["median_ms"], "ms")
            add(f"case_clock_sweep_{n}_cases", db, gov["sweep"]["first_s"], "s")
            add(f"case_clock_sweep_{n}_cases_again", db, gov["sweep"]["again_s"], "s")
            add(f"case_clock_sweep_{n}_cases_hour_later", db, gov["sweep"]["hour_later_s"], "s")
            o311 = gov["open311"]
            add("open311_get_requests_http_p99", db, o311["get_p99_ms"], "ms")
            add("open311_post_request_http_p99", db, o311["post_p99_ms"], "ms")
        for n in sizes if "services" in tasks else []:
            svc = run_task("services", db, n)
            add(f"request_list_scoped_filtered_{n}_requests", db, svc["list"]["median_ms"], "ms")
            # Baselines: the seconds the same number of rows takes written raw, same run.
            sweep, alloc = svc["sweep"], svc["allocation"]
            tasks_raw_s = sweep["tasks"] / base if base else None
            homes_raw_s = alloc["households"] / base if base else None
            add(f"request_clock_sweep_{n}_requests", db, sweep["first_s"], "s", tasks_raw_s)
            add(f"request_clock_sweep_{n}_requests_again", db, sweep["again_s"], "s")
            add(
                f"package_allocation_{alloc['households']}_households",
                db,
                alloc["seconds"],
                "s",
                homes_raw_s,
            )
            add("delivery_handover_scan_http_p99", db, svc["handover"]["p99_ms"], "ms")
        if "tracing" in tasks:
            n = int(os.environ.get("FANGKONG_BENCH_TRACING_SCANS", "10000000"))
            tr = run_task("tracing", db, n)
            if "import_scans_per_s" in tr:  # not when the scans were seeded raw
                # Baseline: the same file's rows written raw (csv + COPY / executemany).
                raw = tr["raw_scans_per_s"]
                scans = f"scan_import_{tr['scans']}_scans"
                add(scans, db, tr["import_scans_per_s"], "scans/s", raw)
                add(f"{scans}_raw_write", db, raw, "scans/s", base)
                add(f"{scans}_peak_rss", db, tr["import_peak_rss_mb"], "MiB")
            # The investigator's page (visits counted, one visit's first page), over the cases.
            page = f"exposures_page_30_visits_{tr['scans']}_scans"
            add(f"{page}_p50", db, tr["exposures_page_p50_ms"], "ms")
            add(f"{page}_p99", db, tr["exposures_page_p99_ms"], "ms")
            # The CLI's whole answer, every exposure scan once (its rows in the JSON).
            full = f"exposures_cli_full_answer_{tr['scans']}_scans"
            add(full, db, tr["exposures_cli_max_s"], "s")
            add(f"{full}_rows", db, tr["exposures_cli_rows_max"], "rows")
            add("scan_purge_one_day", db, tr["purge_day_s"], "s")
            add("scan_purge_one_day_rows", db, tr["purge_day_rows"], "rows")
            add("scan_purge_next_minute", db, tr["purge_next_minute_ms"], "ms")
            # Baselines (same run): a bare count of the orders, a bare read of the cases' ids.
            o, c = f"{tr['orders']}_orders", f"{tr['cases']}_cases"
            bare, read = tr["follow_up_baseline_ms"], tr["chain_baseline_ms"]
            add(f"follow_up_lists_{o}", db, tr["follow_up_lists_median_ms"], "ms", bare)
            add(f"follow_up_lists_{o}_one_grid", db, tr["follow_up_grid_median_ms"], "ms", bare)
            add(f"chain_overview_{c}", db, tr["chain_overview_median_ms"], "ms", read)
            add(f"chain_cluster_graph_{c}", db, tr["chain_cluster_graph_median_ms"], "ms", read)
        if "pushed" in tasks:  # baseline: the same rows written raw into the same tables
            pu = run_task(
                "pushed", db, int(os.environ.get("FANGKONG_BENCH_PUSHED_RESIDENTS", "100000"))
            )
            for kind in ("csv", "xlsx"):
                name = f"pushed_list_{pu['pushed_rows']}_rows_{kind}_matched_dispatched"
                add(name, db, pu[f"pushed_{kind}_s"], "s", pu["pushed_raw_s"])
            add("pushed_list_progress_page", db, pu["pushed_csv_progress_page_ms"], "ms")
        if "june13" in tasks:
            n = int(os.environ.get("FANGKONG_BENCH_JUNE13_RESIDENTS", "50000"))
            j13 = run_task("june13", db, n)
            stack, inside = j13["stack"], j13["in_process"]
            people = j13["figures"]["people"]
            # Baseline: the same steps in process, in one transaction, in the same run.
            add(
                f"june13_system_share_{people}_people",
                db,
                stack["total_s"],
                "s",
                inside["total_s"],
            )
            # The first alarm after the server's start (code and catalogues loaded then).
            first = j13["stack_first"]["total_s"]
            add(f"june13_system_share_{people}_people_first", db, first, "s")
            for part in sorted(k for k in stack if k != "total_s"):
                add(f"june13_{part.removesuffix('_s')}", db, stack[part], "s", inside.get(part))
        if "registration" not in tasks:
            continue
        reg = run_task(
            "registration", db, int(os.environ.get("FANGKONG_BENCH_REG_RESIDENTS", "100000"))
        )
        for mode, label in (("batch20", "batches_of_20"), ("single", "single_samples")):
            r = reg[mode]
            add(f"registration_{label}_throughput", db, r["samples_per_s"], "samples/s", base)
            runs = r.get("runs_samples_per_s")
            if runs:  # the figure above is the median run's; the spread beside it
                add(
                    f"registration_{label}_throughput_slowest_run", db, min(runs), "samples/s", base
                )
                add(
                    f"registration_{label}_throughput_fastest_run", db, max(runs), "samples/s", base
                )
            if r.get("wall_s"):  # including the four clients' interpreter start-up
                wall = r["accepted"] / r["wall_s"]
                add(f"registration_{label}_throughput_wall", db, wall, "samples/s", base)
            add(f"registration_{label}_p50", db, r["p50_ms"], "ms")
            add(f"registration_{label}_p99", db, r["p99_ms"], "ms")
        crash = reg["crash"]
        add("crash_acknowledged_samples", db, crash["acked"], "samples")
        add("crash_lost_samples", db, crash["lost"], "samples")
        add(
            "crash_duplicate_or_unacknowledged",
            db,
            crash["duplicates"] + crash["unacknowledged_stored"],
            "samples",
        )

    RESULTS.mkdir(parents=True, exist_ok=True)
    fresh = {(r["name"], r["db"]) for r in rows}
    rows = [r for r in previous if (r["name"], r["db"]) not in fresh] + rows
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
