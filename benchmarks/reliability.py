"""Reliability R1 at speed: 10,000 signed packets submitted over HTTP to `axis serve` (run as the
README runs it) by concurrent clients, while the node is killed with SIGKILL three times and
started again. Clients do what a DMS does: a packet not answered 202 (refused while the node is
down, connection cut by the kill, busy) is sent again, the same bytes, until it is.

Reconciled at the end, from the node's database: every packet accepted lands once in each inbox
its answer routed it to (0 lost, 0 duplicated), under one message id per packet, and tracking
shows each of those deliveries delivered. The last line printed is JSON.

    .venv/bin/python -m benchmarks.reliability [--count 10000] [--kills 3] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import aiohttp
from sqlalchemy import select

from axis.store.db import make_engine
from benchmarks.end_to_end import (
    NodeUnderTest,
    agency_code,
    database_of,
    free_port,
    in_workspace,
    log_file,
    node_env,
    plan,
    prepare,
    sign_all,
    spawn,
    wait_ready,
)
from routing.inbox_store import inbox
from routing.tracking import deliveries

CONCURRENCY = 32


async def run(args: argparse.Namespace) -> dict[str, object]:
    return await in_workspace("r1", args, run_on)


async def run_on(args: argparse.Namespace, data_dir: Path, bootstrap: str) -> dict[str, object]:
    database_url, schema = database_of(args, data_dir, "r1")
    secrets = await prepare(data_dir, database_url, schema)
    env = node_env(data_dir, bootstrap, database_url, schema, free_port(), None)
    log = log_file(data_dir / "node.log")
    packets = sign_all(data_dir / "pki", plan(args.count, 0), uuid.uuid4().hex[:6])
    node = NodeUnderTest(
        f"http://{env['AXIS_LISTEN']}", database_url, schema, spawn(env, log), secrets
    )
    await wait_ready(node)
    answers: dict[str, dict[str, object]] = {}
    attempts: Counter[str] = Counter()
    todo: asyncio.Queue[int] = asyncio.Queue()
    for index in range(len(packets)):
        todo.put_nowait(index)
    started = time.perf_counter()

    async def client(http: aiohttp.ClientSession) -> None:
        while True:
            try:
                index = todo.get_nowait()
            except asyncio.QueueEmpty:
                return
            planned, document_id, data = packets[index]
            headers = {"Authorization": f"Bearer {secrets[agency_code(planned.sender)]}"}
            while True:  # a DMS sends again until the node took it
                attempts[document_id] += 1
                try:
                    async with http.post(f"{node.url}/v1/packets", data=data,
                                         headers=headers) as answer:  # fmt: skip
                        if answer.status == 202:
                            answers[document_id] = await answer.json()
                            break
                        await answer.read()
                except (aiohttp.ClientError, TimeoutError):
                    pass
                await asyncio.sleep(0.5)

    async def killer() -> list[float]:
        kills = []
        for k in range(args.kills):
            target = (k + 1) * args.count // (args.kills + 1)
            while len(answers) < target:  # noqa: ASYNC110 - clients fill `answers`
                await asyncio.sleep(0.05)
            node.process.send_signal(signal.SIGKILL)  # the supervisor: its processes die with it
            await asyncio.to_thread(node.process.wait)
            kills.append(round(time.perf_counter() - started, 1))
            print(f"killed the node at {len(answers)} accepted", file=sys.stderr)
            await asyncio.sleep(1)
            node.process = spawn(env, log)
            await wait_ready(node)
        return kills

    timeout = aiohttp.ClientTimeout(total=30)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as http:
            kill_task = asyncio.create_task(killer())
            await asyncio.gather(*(client(http) for _ in range(CONCURRENCY)))
            kills = await kill_task
        sent_seconds = time.perf_counter() - started
        report = await reconcile(node, answers)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(node.process.pid, signal.SIGTERM)
        await asyncio.to_thread(node.process.wait)
        log.close()
    return {
        "benchmark": "R1",
        "database": "postgresql" if args.database_url else "sqlite",
        "packets": args.count,
        "kills_at_seconds": kills,
        "sent_seconds": round(sent_seconds, 1),
        "resent": sum(attempts.values()) - len(attempts),
        **report,
    }


async def reconcile(
    node: NodeUnderTest, answers: dict[str, dict[str, object]]
) -> dict[str, object]:
    """Wait until the inboxes hold what the answers routed (or nothing moves for 60 s)."""
    expected: dict[tuple[str, str], str] = {}
    for document_id, answer in answers.items():
        for recipient in answer["recipients"]:  # type: ignore[attr-defined]
            if recipient["outcome"] != "rejected":
                expected[(document_id, recipient["target"])] = str(answer["message_id"])
    engine = make_engine(node.database_url, schema=node.schema)
    try:
        last, idle_since = -1, time.monotonic()
        while True:
            async with engine.connect() as connection:
                rows = (
                    await connection.execute(
                        select(inbox.c.document_id, inbox.c.recipient_code, inbox.c.message_id)
                        .where(inbox.c.kind == "document")
                    )
                ).all()  # fmt: skip
            if len(rows) >= len(expected) or time.monotonic() - idle_since > 60:
                break
            if len(rows) != last:
                last, idle_since = len(rows), time.monotonic()
            await asyncio.sleep(1)
        # Tracking follows the inbox (the tracker applies the delivery events after): wait
        # until no delivery is still tracked queued, or until tracking stops moving for 60 s.
        last_phases: Counter[str] = Counter()
        idle_since = time.monotonic()
        while True:
            async with engine.connect() as connection:
                phases = Counter(
                    row.phase for row in await connection.execute(select(deliveries.c.phase))
                )
            if phases["queued"] == 0 or time.monotonic() - idle_since > 60:
                break
            if phases != last_phases:
                last_phases, idle_since = phases, time.monotonic()
            await asyncio.sleep(1)
    finally:
        await engine.dispose()
    landed: dict[tuple[str, str], list[str]] = defaultdict(list)
    for document_id, recipient, message_id in rows:
        landed[(document_id, recipient)].append(message_id)
    lost = [key for key in expected if key not in landed]
    duplicated = sum(len(ids) - 1 for ids in landed.values())
    other_id = [key for key, ids in landed.items() if key in expected and ids[0] != expected[key]]
    return {
        "accepted": len(answers),
        "deliveries_expected": len(expected),
        "deliveries_landed": len(rows),
        "lost": len(lost),
        "duplicated": duplicated,
        "landed_under_another_message_id": len(other_id),
        "tracking_phases": dict(phases),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    print(json.dumps(asyncio.run(run(parser.parse_args()))))


if __name__ == "__main__":
    main()
