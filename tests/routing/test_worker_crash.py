"""R1 in small: `axis worker deliver`, killed with SIGKILL mid-stream twice, loses nothing and
puts nothing twice in an inbox; Kafka re-delivers the uncommitted batches to its successor."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from orgcodes.changes import parse_change_set
from orgcodes.service import RegistryService
from routing.inbox_store import inbox
from tests.support.bus import Bus, delivery, eventually

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
RECIPIENTS = ["000.00.00.H53", "000.00.00.H41", "000.00.00.H49"]
TOTAL = 600
FIRST = 100
"""Packets on the topic before the first worker starts."""
WINDOW = 150
"""How far the stream may run ahead of the deliveries."""
STEP = 50
KILLS = (60, 250)
"""Delivered counts past which the worker is killed."""


async def _count(bus: Bus) -> int:
    async with bus.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(inbox))).scalar_one())


async def test_killed_workers_lose_nothing_and_duplicate_nothing(
    bus: Bus, postgres_url: str, tmp_path: Path
) -> None:
    async with bus.sessions() as session:
        schema = (await session.execute(text("SELECT current_schema()"))).scalar_one()
    records = [delivery(RECIPIENTS[i % 3]) for i in range(TOTAL)]
    await bus.submit(*records[:FIRST])

    cap = [KILLS[0] + WINDOW]
    """The feed never goes past this before the kill in hand is done, so that every kill falls
    mid-stream however fast the worker delivers (a batch can deliver hundreds at once)."""

    async def feed() -> None:
        """The rest of the stream, never more than WINDOW ahead of what is delivered."""
        submitted = FIRST
        while submitted < TOTAL:
            if submitted < cap[0] and await _count(bus) >= submitted - WINDOW:
                await bus.submit(*records[submitted : submitted + STEP])
                submitted += STEP
            else:
                await asyncio.sleep(0.05)

    await RegistryService(bus.sessions).apply(
        parse_change_set(
            {
                "effective": "2020-01-01T00:00:00+07:00",
                "changes": [
                    {"op": "create", "unit": {"code": code, "name": code, "level": 1}}
                    for code in RECIPIENTS
                ],
            }
        ),
        actor="test",
    )
    env = {
        **os.environ, "AXIS_LOG_LEVEL": "WARNING", "AXIS_DATA_DIR": str(tmp_path),
        "AXIS_DATABASE_URL": postgres_url, "AXIS_DATABASE_SCHEMA": schema,
        "AXIS_KAFKA_BOOTSTRAP": bus.bootstrap, "AXIS_TOPIC_PREFIX": bus.layout.prefix,
        "AXIS_PARTITIONS": str(bus.layout.partitions), "AXIS_RETRY_DELAYS": "1s,2s",
        "AXIS_NODE_ID": "killable",
    }  # fmt: skip
    env.pop("AXIS_CONFIG", None)

    def spawn() -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "axis.cli.main", "worker", "deliver"]
        return subprocess.Popen(command, cwd=ROOT, env=env)

    feeder = asyncio.create_task(feed())
    counts_at_kill = []
    for kill, threshold in enumerate(KILLS):
        worker = spawn()
        try:

            async def past(threshold: int = threshold) -> bool:
                return await _count(bus) >= threshold

            await eventually(past, timeout=120, what=f"{threshold} packets delivered")
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait()
        counts_at_kill.append(await _count(bus))
        cap[0] = KILLS[kill + 1] + WINDOW if kill + 1 < len(KILLS) else TOTAL

    last = spawn()
    try:

        async def all_delivered() -> bool:
            return await _count(bus) >= TOTAL

        await eventually(all_delivered, timeout=180, what="every packet delivered")
        await feeder
    finally:
        feeder.cancel()
        last.terminate()
        last.wait(timeout=60)

    assert all(count < TOTAL for count in counts_at_kill), counts_at_kill  # killed mid-stream
    async with bus.sessions() as session:
        rows = (await session.execute(select(inbox.c.recipient_code, inbox.c.message_id))).all()
    assert len(rows) == TOTAL
    assert {(r.recipient_code, r.message_id) for r in rows} == {
        (record.recipient_code, str(record.message_id)) for record in records
    }
