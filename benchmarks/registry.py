"""Benchmark B3: the registry. Load ~120,000 units, resolve codes, propagate a change.

1. Builds the 2025 dataset grown to ~120,000 units (level-4 units under communes), applies the
   baseline and the 2025 change set to a node database, then measures a fresh node *loading*
   it: every unit state read from the database and the resolver index built (target < 3 s).
2. Resolves a mix of codes (active, redirected across the 2025 merges, ambiguous, closed,
   unknown; now and at a past time) from the in-memory index (target >= 1,000,000/s). Baseline
   in the same run: a bare `dict.get` of the same codes (the floor for any lookup in Python).
3. Unless --no-kafka: an authority node and a follower node on a broker of their own (or
   AXIS_KAFKA_BOOTSTRAP); each of --changes small change sets is applied and published by the
   authority, and the time until the follower resolves the change is measured (target < 1 s).

    .venv/bin/python benchmarks/registry.py [--extra-units N] [--database-url URL] [--no-kafka]

The last line printed is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from axis.broker.assembly import ensure_release
from axis.broker.cluster import LocalCluster
from axis.broker.layout import ClusterLayout
from axis.devtools.dataset2025 import build_dataset
from axis.migrations.runner import upgrade
from axis.settings import DEFAULT_KAFKA_VERSION, default_cache_dir
from axis.store.db import make_engine, session_factory
from orgcodes.changes import parse_change_set
from orgcodes.resolver import Resolver
from orgcodes.service import RegistryService
from orgcodes.sync import RegistryFollower, RegistryPublisher
from routing.topics import TopicLayout, ensure_topics

BEFORE = datetime(2025, 3, 1, tzinfo=UTC)
LOOKUPS = 2_000_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def node(url: str) -> RegistryService:
    engine = make_engine(url)
    await upgrade(engine)
    return RegistryService(session_factory(engine))


def probe_codes(service: RegistryService, facts: object) -> list[str]:
    """A mix: mostly active units, plus merged, split, closed and unknown codes."""
    from axis.devtools.dataset2025 import Facts

    assert isinstance(facts, Facts)
    active = [h.code for h in service.registry if h.current.active][:6000]
    merged = list(facts.merged_communes)[:2000] + list(facts.merged_provinces)
    odd = list(facts.split_communes) + list(facts.closed_districts[:300])
    unknown = [f"000.99.{n % 100:02d}.H{n % 63 + 1:02d}" for n in range(200)]
    return active + merged + odd + unknown


def lookups_per_second(resolve: object, codes: list[str], at: datetime | None) -> float:
    calls = (LOOKUPS // len(codes)) * len(codes)
    started = time.perf_counter()
    if at is None:
        for _ in range(calls // len(codes)):
            for code in codes:
                resolve(code)  # type: ignore[operator]
    else:
        for _ in range(calls // len(codes)):
            for code in codes:
                resolve(code, at)  # type: ignore[operator]
    return calls / (time.perf_counter() - started)


async def propagation(bootstrap: str, root: Path, changes: int) -> list[float]:
    layout = TopicLayout(prefix=f"bench{uuid.uuid4().hex[:8]}.")
    await ensure_topics(bootstrap, (layout.registry,))
    authority = await node(f"sqlite+aiosqlite:///{root / 'authority.db'}")
    follower_node = await node(f"sqlite+aiosqlite:///{root / 'follower.db'}")
    await authority.load()
    seed = {
        "effective": "2020-01-01T00:00:00+07:00",
        "reason": "bench",
        "changes": [
            {
                "op": "create",
                "unit": {"code": "000.00.00.G22", "name": "Văn phòng Chính phủ", "level": 1},
            }
        ],
    }
    await authority.apply(parse_change_set(seed), actor="bench")
    publisher = RegistryPublisher(authority, bootstrap, layout.registry.name)
    await publisher.publish_pending()
    follower = RegistryFollower(follower_node, bootstrap, layout.registry.name, poll_ms=100)
    stopping = asyncio.Event()
    task = asyncio.create_task(follower.run(stopping))
    await asyncio.wait_for(follower.caught_up.wait(), 60)
    latencies = []
    try:
        for n in range(changes):
            name = f"Văn phòng Chính phủ ({n})"
            change = {
                "effective": datetime.now(UTC).isoformat(),
                "reason": "bench",
                "changes": [{"op": "rename", "code": "000.00.00.G22", "name": name}],
            }
            started = time.perf_counter()
            await authority.apply(parse_change_set(change), actor="bench")
            await publisher.publish_pending()
            # Polled on purpose: what is measured is when a lookup on the follower sees it.
            while (state := follower_node.resolve("000.00.00.G22").state) is None or (  # noqa: ASYNC110
                state.name != name
            ):
                await asyncio.sleep(0.002)
            latencies.append(time.perf_counter() - started)
    finally:
        stopping.set()
        await task
    return latencies


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extra-units", type=int, default=105_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--no-kafka", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        dataset = build_dataset(extra_units=args.extra_units)
        url = args.database_url or f"sqlite+aiosqlite:///{root / 'axis.db'}"
        writer = await node(url)
        await writer.load()
        started = time.perf_counter()
        await writer.apply(parse_change_set(dataset.baseline), actor="bench")
        await writer.apply(parse_change_set(dataset.rearrangement), actor="bench")
        applied = time.perf_counter() - started

        loads = []
        for _ in range(3):
            reader = await node(url)
            started = time.perf_counter()
            await reader.load()
            loads.append(time.perf_counter() - started)
        units = len(reader.registry)
        started = time.perf_counter()
        Resolver(reader.registry)
        index = time.perf_counter() - started

        codes = probe_codes(reader, dataset.facts)
        plain = {code: reader.resolve(code) for code in codes}
        baseline = lookups_per_second(plain.get, codes, None)
        now_rate = lookups_per_second(reader.resolve, codes, None)
        past_rate = lookups_per_second(reader.resolve, codes, BEFORE)
        outcomes: dict[str, int] = {}
        for code in codes:
            key = reader.resolve(code).outcome.value
            outcomes[key] = outcomes.get(key, 0) + 1

        latencies: list[float] = []
        if not args.no_kafka:
            cluster = None
            bootstrap = os.environ.get("AXIS_KAFKA_BOOTSTRAP", "")
            if not bootstrap:
                release = ensure_release(default_cache_dir(), DEFAULT_KAFKA_VERSION)
                cluster = LocalCluster(ClusterLayout(root / "kafka", "127.0.0.1", free_port(), 1))
                await cluster.start(release, heap="512m", timeout=120)
                bootstrap = cluster.layout.bootstrap
            try:
                latencies = await propagation(bootstrap, root, args.changes)
            finally:
                if cluster is not None:
                    cluster.stop(purge=True)

    load = min(loads)
    print(f"units                          {units:,} ({url.split(':')[0]})")
    print(f"baseline + 2025 applied        {applied:8.2f} s (setup, once)")
    print(
        f"load (read + index), best of 3 {load:8.2f} s   target < 3 s   (index alone {index:.2f} s)"
    )
    print(f"dict.get (baseline)            {baseline:12,.0f} lookups/s")
    print(f"resolve, now                   {now_rate:12,.0f} /s   target >= 1,000,000")
    print(f"resolve, at 2025-03-01         {past_rate:12,.0f} /s")
    print(f"ratio to dict.get (now, past)  {now_rate / baseline:.3f}, {past_rate / baseline:.3f}")
    print(f"probe mix                      {outcomes}")
    if latencies:
        median, worst = statistics.median(latencies) * 1000, max(latencies) * 1000
        print(
            f"propagation, {len(latencies)} change sets     median {median:.0f} ms, "
            f"max {worst:.0f} ms   target < 1 s"
        )
    print(
        json.dumps(
            {
                "benchmark": "B3 registry",
                "units": units,
                "database": url.split(":")[0],
                "load_seconds": round(load, 3),
                "index_seconds": round(index, 3),
                "resolves_per_s_now": round(now_rate),
                "resolves_per_s_past": round(past_rate),
                "baseline_dict_get_per_s": round(baseline),
                "ratio": round(now_rate / baseline, 3),
                "propagation_median_ms": round(statistics.median(latencies) * 1000, 1)
                if latencies
                else None,
                "propagation_max_ms": round(max(latencies) * 1000, 1) if latencies else None,
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
