"""`axis dead-letters ...` and `axis destinations ...` as an operator runs them: every action
audited, replay sends the record back to the deliveries topic once."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from axis import audit
from axis.db import make_engine, session_factory
from envelopes.records import DeliveryRecord, RecordCodec
from routing.dead_letters import DeadLetters
from routing.headers import History, Origin
from routing.retry import Failure, FailureClass
from routing.topics import TopicLayout, ensure_topics
from tests.support.bus import delivery
from tests.support.cli import run_axis as axis

pytestmark = pytest.mark.integration


@pytest.fixture
def env(tmp_path: Path, kafka_bootstrap: str, topic_prefix: str) -> dict[str, str]:
    values = {
        **os.environ, "AXIS_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200",
        "AXIS_KAFKA_BOOTSTRAP": kafka_bootstrap, "AXIS_TOPIC_PREFIX": topic_prefix,
    }  # fmt: skip
    values.pop("AXIS_CONFIG", None)
    assert axis(["db", "upgrade"], values).returncode == 0
    return values


async def _audit_actions(env: dict[str, str]) -> list[tuple[str, str, str]]:
    engine = make_engine(f"sqlite+aiosqlite:///{env['AXIS_DATA_DIR']}/axis.db")
    try:
        async with session_factory(engine)() as session:
            entries = await audit.recent(session)
    finally:
        await engine.dispose()
    return [(e.actor, e.action, e.target) for e in reversed(entries)]


async def test_pause_and_resume_are_audited(env: dict[str, str]) -> None:
    paused = axis(["destinations", "pause", "000.00.00.H53", "--reason", "DMS migration",
                   "--actor", "ops@vpcp"], env)  # fmt: skip
    assert paused.returncode == 0, paused.stderr
    listed = axis(["destinations", "list", "--json"], env)
    assert [(p["code"], p["reason"]) for p in json.loads(listed.stdout)] == [
        ("000.00.00.H53", "DMS migration")
    ]
    assert (
        "was paused already"
        in axis(
            ["destinations", "pause", "000.00.00.H53", "--reason", "again", "--actor", "ops@vpcp"],
            env,
        ).stdout
    )
    assert (
        axis(["destinations", "resume", "000.00.00.H53", "--actor", "ops@vpcp"], env).returncode
        == 0
    )
    assert "no destination is paused" in axis(["destinations", "list"], env).stdout
    assert await _audit_actions(env) == [
        ("ops@vpcp", "destinations.pause", "000.00.00.H53"),
        ("ops@vpcp", "destinations.pause", "000.00.00.H53"),
        ("ops@vpcp", "destinations.resume", "000.00.00.H53"),
    ]


async def test_a_dead_letter_is_listed_shown_and_replayed_once(
    env: dict[str, str], kafka_bootstrap: str, topic_prefix: str
) -> None:
    layout = TopicLayout(prefix=topic_prefix, partitions=1)
    await ensure_topics(kafka_bootstrap, layout.all())
    record = delivery("000.00.00.H41")
    codec = RecordCodec()
    failure = Failure("PUSH_HTTP_503", "endpoint answered 503", FailureClass.TRANSIENT)
    history = History().failed(failure, datetime.now(UTC), Origin(layout.deliveries.name, 0, 7))
    engine = make_engine(f"sqlite+aiosqlite:///{env['AXIS_DATA_DIR']}/axis.db")
    try:
        async with session_factory(engine).begin() as session:
            await DeadLetters().record(
                session, source=f"{layout.dead_letters.name}:0:0", record=record,
                encoded=codec.encode(record), history=history.given_up("gave up"),
                dead_at=datetime.now(UTC),
            )  # fmt: skip
    finally:
        await engine.dispose()

    listed = json.loads(axis(["dead-letters", "list", "--json"], env).stdout)
    assert [(x["id"], x["recipient"], x["failures"]) for x in listed] == [(1, "000.00.00.H41", 1)]
    shown = json.loads(axis(["dead-letters", "show", "1"], env).stdout)
    assert shown["origin"] == f"{layout.deliveries.name}:0:7"
    assert shown["last_error"].startswith("PUSH_HTTP_503")

    replayed = axis(["dead-letters", "replay", "1", "--actor", "ops@vpcp"], env)
    assert replayed.returncode == 0, replayed.stderr
    again = axis(["dead-letters", "replay", "1", "--actor", "ops@vpcp"], env)
    assert again.returncode == 1
    assert "DEAD_LETTER_ALREADY_REPLAYED" in again.stderr
    missing = axis(["dead-letters", "replay", "42"], env)
    assert missing.returncode == 1 and "DEAD_LETTER_NOT_FOUND" in missing.stderr

    consumer = AIOKafkaConsumer(
        layout.deliveries.name, bootstrap_servers=kafka_bootstrap,
        auto_offset_reset="earliest", isolation_level="read_committed",
    )  # fmt: skip
    await consumer.start()
    try:
        batches = await consumer.getmany(timeout_ms=5000)
    finally:
        await consumer.stop()
    records = [r for batch in batches.values() for r in batch]
    assert len(records) == 1
    assert codec.decode(records[0].value or b"", DeliveryRecord).message_id == record.message_id
    assert History.from_headers(records[0].headers).replayed_by == "ops@vpcp"
    assert ("ops@vpcp", "dead_letters.replay", "1") in await _audit_actions(env)
