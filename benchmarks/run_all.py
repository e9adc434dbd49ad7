"""`make bench`: B1-B5 one after the other on one broker, in under 10 minutes, and one table.

Each benchmark runs as its own process (nothing of one counts in another) with the sizes below;
the table gives the project's figure, the same-run baseline, their ratio, the target and
whether it holds. B1 runs on SQLite (the embedded default) and on PostgreSQL when there is one:
`--database-url`, or a throw-away cluster started from the Debian packages when they are
installed. The machine it ran on heads the table. The last line printed is JSON.

    .venv/bin/python -m benchmarks.run_all [--database-url URL] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.end_to_end import broker, free_port

ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    cpu = "?"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{len(os.sched_getaffinity(0))} cores ({cpu}), {memory:.0f} GiB, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def run(module: str, *args: str, env: dict[str, str]) -> dict[str, Any]:
    """`python -m benchmarks.<module> args`; its last line, as JSON (stderr passes through)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{module}", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, check=False,
    )  # fmt: skip
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"error": f"benchmarks.{module} exited with {done.returncode}"}
    result: dict[str, Any] = json.loads(lines[-1])
    result["_seconds"] = round(time.perf_counter() - started, 1)
    print(f"  {module} {' '.join(args)}: {result['_seconds']} s", file=sys.stderr)
    return result


@contextmanager
def postgres(given: str | None) -> Iterator[str | None]:
    """The PostgreSQL to run B1 on: the one given, a throw-away cluster, or none."""
    if given:
        yield given
        return
    if shutil.which("pg_ctl") is None and not list(Path("/usr/lib/postgresql").glob("*/bin")):
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="axis-bench-pg-") as directory:
        os.chmod(directory, 0o755)
        helper = [sys.executable, "-m", "tests.support.postgres"]
        env = {**os.environ, "AXIS_TEST_PG_PORT": str(free_port())}
        started = subprocess.run(
            [*helper, "start", directory], cwd=ROOT, env=env, capture_output=True, text=True,
            check=False,
        )  # fmt: skip
        if started.returncode != 0:
            print(f"  no PostgreSQL for B1: {started.stderr.strip()}", file=sys.stderr)
            yield None
            return
        try:
            yield started.stdout.strip().splitlines()[-1]
        finally:
            subprocess.run([*helper, "stop", directory], cwd=ROOT, env=env,
                           capture_output=True, check=False)  # fmt: skip


def rows(results: dict[str, dict[str, Any]]) -> list[tuple[str, str, str, str, str, str]]:
    """(id, measure, figure, baseline, ratio, target) per line of the table."""
    out = []
    for name in ("B1 sqlite", "B1 postgresql"):
        b1 = results.get(name)
        if not b1 or "error" in b1:
            continue
        p99 = b1.get("p99_ms_at_500")
        out.append((
            name, "deliveries/s (best phase); p99 at 500/s offered",
            f"{b1['best_deliveries_per_s']:,.0f}/s; p99 {p99:,.0f} ms" if p99 is not None
            else f"{b1['best_deliveries_per_s']:,.0f}/s",
            f"raw Kafka {b1['baseline_raw_pipe_per_s']:,.0f}/s", f"{b1['ratio']:.3f}",
            ">= 2,000/s, >= 0.7; p99 <= 50 ms; "
            f"lost {b1['lost']}, dup {b1['duplicated']}; {b1['node_cpu_ms_per_accepted']} ms CPU "
            "per packet",
        ))  # fmt: skip
    b2 = results.get("B2", {})
    for result in b2.get("results", []):
        out.append((
            f"B2 {result['key']}", "verifies/s, one core",
            f"{result['node_verifies_per_s']:,.0f}/s",
            f"bare verify {result['baseline_verifies_per_s']:,.0f}/s",
            f"{result['ratio']:.3f}", ">= 3,000/s",
        ))  # fmt: skip
    b3 = results.get("B3", {})
    if "resolves_per_s_now" in b3:
        out.append((
            "B3", f"load {b3['units']:,} units; resolves/s; propagation max",
            f"{b3['load_seconds']} s; {b3['resolves_per_s_now']:,}/s; "
            f"{b3['propagation_max_ms']} ms",
            f"dict.get {b3['baseline_dict_get_per_s']:,}/s", f"{b3['ratio']:.3f}",
            "< 3 s; >= 1,000,000/s; < 1,000 ms",
        ))  # fmt: skip
    b4 = results.get("B4", {})
    if "node_peak_growth_mib" in b4:
        out.append((
            "B4", f"{b4['attachment_mib']} MiB attachment over HTTP: node peak growth",
            f"{b4['node_peak_growth_mib']} MiB (identical: {b4['byte_identical']})",
            f"packet {b4['packet_mib']} MiB", f"{b4['ratio_to_packet']}", "< 2x, byte-identical",
        ))  # fmt: skip
    b5 = results.get("B5", {})
    if "deliveries_per_s" in b5:
        out.append((
            "B5", f"backlog of {b5['count']:,} drained, in order: {b5['in_order']}",
            f"{b5['deliveries_per_s']:,.0f}/s",
            f"bare Kafka read {b5['baseline_records_per_s']:,.0f}/s", f"{b5['ratio']:.3f}",
            ">= 2,000/s, in order",
        ))  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    args = parser.parse_args()
    quick = args.quick
    started = time.perf_counter()
    results: dict[str, dict[str, Any]] = {}

    async def with_broker() -> None:
        async with broker() as bootstrap:
            env = {**os.environ, "AXIS_KAFKA_BOOTSTRAP": bootstrap}
            b1 = ["--rates", "100,500", "--seconds", "3" if quick else "6",
                  "--closed-seconds", "5" if quick else "12", "--closed-max", "4000",
                  "--raw-count", "5000" if quick else "20000"]  # fmt: skip
            results["B1 sqlite"] = await asyncio.to_thread(run, "end_to_end", *b1, env=env)
            with postgres(args.database_url) as url:
                if url is not None:
                    results["B1 postgresql"] = await asyncio.to_thread(
                        run, "end_to_end", *b1, "--database-url", url, env=env
                    )
            seconds = "0.5" if quick else "2"
            results["B2"] = await asyncio.to_thread(
                run, "signature_verify", "--seconds", seconds, env=env
            )
            extra = "5000" if quick else "115000"
            results["B3"] = await asyncio.to_thread(
                run, "registry", "--extra-units", extra, "--changes", "5", env=env
            )
            mib = "10" if quick else "50"
            results["B4"] = await asyncio.to_thread(
                run, "attachment_end_to_end", "--mib", mib, env=env
            )
            count = "5000" if quick else "100000"
            results["B5"] = await asyncio.to_thread(run, "backlog", "--count", count, env=env)

    asyncio.run(with_broker())
    table = rows(results)
    print(f"\nmachine: {machine()}; total {time.perf_counter() - started:.0f} s\n")
    print("| id | measure | figure | same-run baseline | ratio | target |")
    print("|---|---|---|---|---|---|")
    for row in table:
        print("| " + " | ".join(row) + " |")
    failed = [name for name, result in results.items() if "error" in result]
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    print(json.dumps({"machine": machine(), "results": results}))


if __name__ == "__main__":
    main()
