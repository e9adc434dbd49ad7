"""Benchmark B1: signed 10 KB packets submitted over HTTP, end to end, against a node run the way
the README runs one (`axis serve`), next to the raw Kafka pipe of the same bytes.

Set-up (its own): a data directory, the schema, a registry of AGENCIES units, a development PKI
and their certificates in the trust store, one bearer client per agency, then `axis serve` as a
child process. The packets are signed before the clock starts (signing is the sender's cost), in
a process pool. Each packet goes to 1 or 2 other agencies (pull inboxes).

Phases, one after the other on the same node: each offered rate (an open loop: a request is
started on schedule whatever the answers before it, at most MAX_IN_FLIGHT at once), then a closed
loop (CONCURRENCY clients, each sending as soon as it has its answer). After each phase the
benchmark waits until every accepted packet is in its recipients' inboxes (or nothing moves for
DRAIN_IDLE seconds) and reports:

- accepted/s (answered 202 during the phase), deliveries/s (inbox rows, from the first request to
  the last row), submit-to-inbox p50/p95/p99 (the inbox row's `received_at` minus the moment the
  request was sent), HTTP errors by status;
- lost (an accepted packet missing from an inbox its answer routed it to) and duplicated (a
  message twice in one inbox), over every phase;
- CPU seconds and peak RSS of the node's processes and of this load generator.

Baseline in the same run: raw aiokafka (acks=all, idempotent) producing the same 10 KB bytes to
a topic and a consumer reading them back, concurrently; the ratio is deliveries/s over the raw
messages/s. The last line printed is JSON.

    .venv/bin/python benchmarks/end_to_end.py [--rates 100,500,1000,2000] [--seconds 5]
        [--closed-seconds 10] [--concurrency 64] [--database-url URL] [--processes N]

Kafka: a broker of its own on a free port (or AXIS_KAFKA_BOOTSTRAP). Database: SQLite in the
data directory, the embedded default (or --database-url, e.g. PostgreSQL: the benchmark gives
the node a schema of its own there).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import functools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO

import aiohttp
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from cryptography import x509
from sqlalchemy import select, text

from axis.broker.assembly import ensure_release
from axis.broker.cluster import LocalCluster
from axis.broker.layout import ClusterLayout
from axis.devtools.dev_pki import write_dev_pki
from axis.keys.node_secret import load_or_create
from axis.migrations.runner import upgrade
from axis.settings import DEFAULT_KAFKA_VERSION, default_cache_dir
from axis.store.credentials import ClientStore, Role
from axis.store.db import make_engine, session_factory
from axis.store.trust_repository import import_audited
from envelopes.document_id import DocumentId
from envelopes.model import Code, DocumentPacket, DocumentType, Organization, PromulgationInfo
from envelopes.writing import to_bytes
from orgcodes.changes import parse_change_set
from orgcodes.service import RegistryService
from routing.inbox_store import inbox
from signing.certificates import PrivateKey, load_certificate, load_private_key
from signing.signer import sign_packet

AGENCIES = 20
PACKET_BYTES = 10 * 1024
MAX_IN_FLIGHT = 2000
DRAIN_IDLE = 30.0
REQUEST_TIMEOUT = 60.0
DAY = date(2025, 7, 2)
RAW_PARTITIONS = 6
"""As many as the node's deliveries topic has by default (AXIS_PARTITIONS)."""


def agency_code(i: int) -> str:
    return f"000.00.{i + 10:02d}.H53"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# --- packets ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Planned:
    sender: int
    recipients: tuple[int, ...]
    number: int


def _packet(pki: str, planned: Planned, run: str) -> tuple[str, bytes]:
    sender = agency_code(planned.sender)
    number = f"{run}{planned.number}"
    document_id = DocumentId.parse(f"{sender},{DAY:%Y/%m/%d},{number}/CV-B1")
    filler = "Nội dung công văn để đo thông lượng đầu cuối của trục. "
    base = DocumentPacket(
        sender=Organization(organ_id=sender, organ_name=f"Đơn vị {sender}"),
        recipients=tuple(Organization(organ_id=agency_code(r)) for r in planned.recipients),
        document_id=document_id,
        code=Code(number, "CV-B1"),
        promulgation=PromulgationInfo(DAY, "Hà Nội"),
        document_type=DocumentType("1", "0", "Công văn"),
        subject="Báo cáo tình hình gửi nhận văn bản",
        content="",
    )
    unsigned = to_bytes(base)
    room = PACKET_BYTES - len(unsigned) - 2600  # about what the Signature adds
    content = (filler * (room // len(filler.encode()) + 1)).encode()[: max(room, 0)]
    packet = dataclasses.replace(base, content=content.decode("utf-8", "ignore"))
    key, certificate = _credentials(pki, sender)
    return str(document_id), sign_packet(to_bytes(packet), key, certificate)


@functools.cache
def _credentials(pki: str, code: str) -> tuple[PrivateKey, x509.Certificate]:
    """Read once per signing process: loading an RSA key checks it, which is slow."""
    directory = Path(pki)
    return load_private_key(directory / f"{code}.key"), load_certificate(directory / f"{code}.pem")


def _sign_chunk(pki: str, planned: list[Planned], run: str) -> list[tuple[str, bytes]]:
    return [_packet(pki, p, run) for p in planned]


def plan(count: int, start: int) -> list[Planned]:
    out = []
    for n in range(start, start + count):
        sender = n % AGENCIES
        first = (sender + 1 + n // AGENCIES % (AGENCIES - 1)) % AGENCIES
        recipients = (first,) if n % 2 else (first, (first + 1) % AGENCIES or 1)
        out.append(Planned(sender, tuple(r for r in recipients if r != sender) or (first,), n))
    return out


def sign_all(pki: Path, planned: list[Planned], run: str) -> list[tuple[Planned, str, bytes]]:
    chunks = [planned[i : i + 250] for i in range(0, len(planned), 250)]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        signed = pool.map(_sign_chunk, [str(pki)] * len(chunks), chunks, [run] * len(chunks))
        flat = [item for chunk in signed for item in chunk]
    return [(p, document_id, data) for p, (document_id, data) in zip(planned, flat, strict=True)]


# --- the node under test ---------------------------------------------------------------------


@dataclass(slots=True)
class NodeUnderTest:
    url: str
    database_url: str
    schema: str | None
    process: subprocess.Popen[bytes]
    secrets: dict[str, str] = field(default_factory=dict)

    def pids(self) -> list[int]:
        """The node's process and its children (HTTP and worker processes, if any)."""
        found = [self.process.pid]
        for pid in os.listdir("/proc"):
            if pid.isdigit() and _parent(int(pid)) == self.process.pid:
                found.append(int(pid))
        return found


def _parent(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def peak_rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


async def prepare(data_dir: Path, database_url: str, schema: str | None) -> dict[str, str]:
    """Schema, registry, PKI, trust store and one bearer client per agency: their secrets."""
    engine = make_engine(database_url, schema=schema)
    try:
        if schema:
            async with engine.begin() as connection:
                await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        await upgrade(engine)
        sessions = session_factory(engine)
        codes = [agency_code(i) for i in range(AGENCIES)]
        changes = [
            {"op": "create", "unit": {"code": c, "name": f"Đơn vị {c}", "level": 1}} for c in codes
        ]
        registry = RegistryService(sessions)
        await registry.apply(
            parse_change_set(
                {"effective": "2020-01-01T00:00:00+07:00", "reason": "B1", "changes": changes}
            ),
            actor="bench",
            source="bench",
        )
        pki = data_dir / "pki"
        await asyncio.to_thread(write_dev_pki, pki, codes)
        async with sessions.begin() as session:
            await import_audited(session, pki, actor="bench", at=datetime.now(UTC))
        store = ClientStore(load_or_create(data_dir / "secret.key"))
        secrets = {}
        async with sessions.begin() as session:
            for code in codes:
                issued = await store.add(
                    session, client_id=f"dms-{code}", name=f"DMS {code}", codes=[code],
                    roles=[Role.AGENCY], hmac_enabled=False, secret=None,
                    allow_weak_secret=False,
                )  # fmt: skip
                secrets[code] = issued.secret
        return secrets
    finally:
        await engine.dispose()


def node_env(data_dir: Path, bootstrap: str, database_url: str, schema: str | None,
             port: int, processes: int | None) -> dict[str, str]:  # fmt: skip
    env = {
        **os.environ,
        "AXIS_DATA_DIR": str(data_dir),
        "AXIS_SECRET_KEY_FILE": str(data_dir / "secret.key"),
        "AXIS_KAFKA_BOOTSTRAP": bootstrap,
        "AXIS_DATABASE_URL": database_url,
        "AXIS_LISTEN": f"127.0.0.1:{port}",
        "AXIS_TOPIC_PREFIX": f"b1-{uuid.uuid4().hex[:8]}.",
        "AXIS_LOG_LEVEL": "WARNING",
        "AXIS_LOG_FORMAT": "json",
    }
    if schema:
        env["AXIS_DATABASE_SCHEMA"] = schema
    if processes is not None:
        env["AXIS_PROCESSES"] = str(processes)
    return env


def log_file(path: Path) -> IO[bytes]:
    """Where the node's output goes (AXIS_B1_NODE_LOG keeps it after the run)."""
    return path.open("wb")


def spawn(env: dict[str, str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    """`axis serve`, the way the README runs a node, in a process group of its own."""
    axis = Path(sys.executable).parent / "axis"
    return subprocess.Popen(
        [str(axis), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


@contextlib.asynccontextmanager
async def running_node(
    data_dir: Path, bootstrap: str, database_url: str, schema: str | None, processes: int | None
) -> AsyncIterator[NodeUnderTest]:
    secrets = await prepare(data_dir, database_url, schema)
    port = free_port()
    log = log_file(Path(os.environ.get("AXIS_B1_NODE_LOG") or data_dir / "node.log"))
    process = spawn(node_env(data_dir, bootstrap, database_url, schema, port, processes), log)
    node = NodeUnderTest(f"http://127.0.0.1:{port}", database_url, schema, process, secrets)
    try:
        await wait_ready(node)
        yield node
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            await asyncio.to_thread(process.wait, 30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


async def wait_ready(node: NodeUnderTest) -> None:
    deadline = time.monotonic() + 120
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if node.process.poll() is not None:
                raise SystemExit(f"the node exited with {node.process.returncode}; see node.log")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"{node.url}/readyz") as answer:
                    if answer.status == 200:
                        return
            await asyncio.sleep(0.3)
    raise SystemExit("the node did not become ready in 120 s")


# --- load ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Sent:
    document_id: str
    sender: str
    at: float
    """Wall time the request was sent (epoch seconds)."""
    routed: int = 0
    status: int = 0
    answered: float = 0.0
    """Wall time the answer came (epoch seconds)."""


@dataclass(slots=True)
class Phase:
    name: str
    offered: float | None
    sent: list[Sent] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0


async def submit(
    http: aiohttp.ClientSession, node: NodeUnderTest, packet: tuple[Planned, str, bytes],
    sent: Sent,
) -> None:  # fmt: skip
    planned, _, data = packet
    headers = {
        "Authorization": f"Bearer {node.secrets[agency_code(planned.sender)]}",
        "Content-Type": "application/xml",
    }
    sent.at = time.time()
    try:
        async with http.post(f"{node.url}/v1/packets", data=data, headers=headers) as answer:
            sent.status = answer.status
            if answer.status == 202:
                body = await answer.json()
                sent.routed = sum(r["outcome"] != "rejected" for r in body["recipients"])
            else:
                await answer.read()
    except (aiohttp.ClientError, TimeoutError):
        sent.status = -1
    sent.answered = time.time()


async def open_loop(
    http: aiohttp.ClientSession, node: NodeUnderTest, packets: list[tuple[Planned, str, bytes]],
    rate: float, phase: Phase,
) -> None:  # fmt: skip
    gate = asyncio.Semaphore(MAX_IN_FLIGHT)
    tasks: list[asyncio.Task[None]] = []
    loop = asyncio.get_running_loop()
    start = loop.time()
    phase.started = time.time()

    async def one(packet: tuple[Planned, str, bytes], sent: Sent) -> None:
        try:
            await submit(http, node, packet, sent)
        finally:
            gate.release()

    for i, packet in enumerate(packets):
        delay = start + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        await gate.acquire()
        sent = Sent(packet[1], agency_code(packet[0].sender), 0.0)
        phase.sent.append(sent)
        tasks.append(asyncio.create_task(one(packet, sent)))
    await asyncio.gather(*tasks)
    phase.ended = time.time()


async def closed_loop(
    http: aiohttp.ClientSession, node: NodeUnderTest, packets: list[tuple[Planned, str, bytes]],
    concurrency: int, seconds: float, phase: Phase,
) -> None:  # fmt: skip
    source = iter(packets)
    deadline = time.monotonic() + seconds
    phase.started = time.time()

    async def client() -> None:
        for packet in source:
            if time.monotonic() > deadline:
                return
            sent = Sent(packet[1], agency_code(packet[0].sender), 0.0)
            phase.sent.append(sent)
            await submit(http, node, packet, sent)

    await asyncio.gather(*(client() for _ in range(concurrency)))
    phase.ended = time.time()


def profile(pid: int, path: str, index: int) -> subprocess.Popen[bytes]:
    """py-spy sampling `pid` until interrupted, its collapsed stacks in `path`.<index>."""
    spy = Path(sys.executable).parent / "py-spy"
    return subprocess.Popen(
        [str(spy) if spy.exists() else "py-spy", "record", "--pid", str(pid), "--rate", "200",
         "--format", "raw", "--output", f"{path}.{index}", "--nonblocking"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


# --- counting what arrived ---------------------------------------------------------------------


async def arrivals(node: NodeUnderTest, documents: set[str]) -> list[tuple[str, str, str, float]]:
    """(document id, recipient, message id, received_at epoch) of the inbox rows of `documents`."""
    engine = make_engine(node.database_url, schema=node.schema)
    try:
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(
                        inbox.c.document_id, inbox.c.recipient_code, inbox.c.message_id,
                        inbox.c.received_at,
                    ).where(inbox.c.kind == "document")
                )
            ).all()  # fmt: skip
    finally:
        await engine.dispose()
    return [(d, r, m, at.timestamp()) for d, r, m, at in rows if d in documents]


async def drain(node: NodeUnderTest, phase: Phase) -> list[tuple[str, str, str, float]]:
    """Wait until every accepted packet of `phase` is in its inboxes, or nothing moves."""
    documents = {s.document_id for s in phase.sent if s.status == 202}
    expected = sum(s.routed for s in phase.sent if s.status == 202)
    last, idle_since = -1, time.monotonic()
    while True:
        rows = await arrivals(node, documents)
        if len(rows) >= expected:
            return rows
        if len(rows) != last:
            last, idle_since = len(rows), time.monotonic()
        elif time.monotonic() - idle_since > DRAIN_IDLE:
            return rows
        await asyncio.sleep(0.5)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(phase: Phase, rows: list[tuple[str, str, str, float]]) -> dict[str, object]:
    accepted = [s for s in phase.sent if s.status == 202]
    sent_at = {s.document_id: s.at for s in accepted}
    latencies = [(at - sent_at[d]) * 1000 for d, _, _, at in rows if d in sent_at]
    answers = [(s.answered - s.at) * 1000 for s in accepted]
    refusals = [(s.answered - s.at) * 1000 for s in phase.sent if s.status == 503]
    expected = sum(s.routed for s in accepted)
    unique = {(r, m) for _, r, m, _ in rows}
    last_row = max((at for *_, at in rows), default=phase.ended)
    span = max(phase.ended - phase.started, 1e-9)
    errors = Counter(str(s.status) for s in phase.sent if s.status != 202)
    return {
        "phase": phase.name,
        "offered_per_s": phase.offered,
        "sent": len(phase.sent),
        "accepted": len(accepted),
        "accepted_per_s": round(len(accepted) / span, 1),
        "deliveries": len(rows),
        "deliveries_per_s": round(len(rows) / max(last_row - phase.started, 1e-9), 1),
        "p50_ms": _round(percentile(latencies, 0.50)),
        "p95_ms": _round(percentile(latencies, 0.95)),
        "p99_ms": _round(percentile(latencies, 0.99)),
        "accept_p50_ms": _round(percentile(answers, 0.50)),
        "accept_p99_ms": _round(percentile(answers, 0.99)),
        "busy_p99_ms": _round(percentile(refusals, 0.99)),
        "http_errors": dict(errors),
        "lost": max(expected - len(unique), 0),
        "duplicated": len(rows) - len(unique),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# --- the raw pipe ------------------------------------------------------------------------------


async def raw_pipe(bootstrap: str, data: bytes, count: int) -> float:
    """Messages/s of aiokafka producing `count` copies of `data` (acks=all, idempotent) while a
    consumer reads them back, from the first send to the last message read."""
    topic = f"b1-raw-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(topic, num_partitions=RAW_PARTITIONS, replication_factor=1)]
        )
    finally:
        await admin.close()
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5,
        max_batch_size=1024 * 1024, max_request_size=2 * 1024 * 1024,
    )  # fmt: skip
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
        group_id=f"b1-raw-{uuid.uuid4().hex[:8]}", fetch_max_bytes=50 * 1024 * 1024,
        max_partition_fetch_bytes=10 * 1024 * 1024,
    )  # fmt: skip
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"warm-up")
        await consumer.start()
        try:
            await consumer.getone()  # the warm-up: assignment done
            start = time.perf_counter()

            async def produce() -> None:
                futures = []
                for i in range(count):
                    futures.append(await producer.send(topic, data, key=str(i % 40).encode()))
                    if len(futures) >= 2000:
                        await asyncio.gather(*futures)
                        futures.clear()
                await asyncio.gather(*futures)

            async def consume() -> None:
                seen = 0
                while seen < count:
                    batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
                    seen += sum(len(b) for b in batches.values())

            await asyncio.gather(produce(), consume())
            return count / (time.perf_counter() - start)
        finally:
            await consumer.stop()
    finally:
        await producer.stop()


# --- the run -------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def broker() -> AsyncIterator[str]:
    given = os.environ.get("AXIS_KAFKA_BOOTSTRAP")
    if given:
        yield given
        return
    with tempfile.TemporaryDirectory(prefix="axis-b1-kafka-") as directory:
        release = ensure_release(default_cache_dir(), DEFAULT_KAFKA_VERSION)
        cluster = LocalCluster(ClusterLayout(Path(directory), "127.0.0.1", free_port(), 1))
        await cluster.start(release, heap="1g", timeout=120)
        try:
            yield cluster.layout.bootstrap
        finally:
            cluster.stop(purge=True)


Work = Callable[[argparse.Namespace, Path, str], Awaitable[dict[str, object]]]


async def in_workspace(name: str, args: argparse.Namespace, work: Work) -> dict[str, object]:
    """`work(args, data directory, bootstrap)` in a temporary directory, on a broker."""
    with tempfile.TemporaryDirectory(prefix=f"axis-{name}-") as directory:
        async with broker() as bootstrap:
            return await work(args, Path(directory), bootstrap)


def database_of(args: argparse.Namespace, data_dir: Path, name: str) -> tuple[str, str | None]:
    """The node's database URL and (PostgreSQL) a schema of the run's own."""
    if args.database_url:
        return args.database_url, f"{name}_{uuid.uuid4().hex[:8]}"
    return f"sqlite+aiosqlite:///{data_dir / 'axis.db'}", None


async def run(args: argparse.Namespace) -> dict[str, object]:
    return await in_workspace("b1", args, run_on)


async def run_on(args: argparse.Namespace, data_dir: Path, bootstrap: str) -> dict[str, object]:
    rates = [float(r) for r in args.rates.split(",") if r]
    counts = [int(rate * args.seconds) for rate in rates]
    database_url, schema = database_of(args, data_dir, "b1")
    async with running_node(data_dir, bootstrap, database_url, schema, args.processes) as node:
        total = sum(counts) + args.closed_max
        began = time.perf_counter()
        packets = sign_all(data_dir / "pki", plan(total, 0), uuid.uuid4().hex[:6])
        print(f"signed {total} packets of ~{len(packets[0][2])} bytes in "
              f"{time.perf_counter() - began:.1f} s", file=sys.stderr)  # fmt: skip
        baseline = await raw_pipe(bootstrap, packets[0][2], args.raw_count)
        print(f"raw pipe: {baseline:.0f} messages/s", file=sys.stderr)
        pids = node.pids()
        profilers = [profile(pid, args.profile, i) for i, pid in enumerate(pids) if args.profile]
        cpu_before = {pid: cpu_seconds(pid) for pid in pids}
        own_before = time.process_time()
        phases: list[tuple[Phase, list[tuple[str, str, str, float]]]] = []
        connector = aiohttp.TCPConnector(limit=args.concurrency * 4)
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            offset = 0
            for rate, count in zip(rates, counts, strict=True):
                phase = Phase(f"open {rate:g}/s", rate)
                await open_loop(http, node, packets[offset : offset + count], rate, phase)
                offset += count
                phases.append((phase, await drain(node, phase)))
                print(json.dumps(report(*phases[-1])), file=sys.stderr)
            if args.closed_seconds > 0:
                phase = Phase(f"closed x{args.concurrency}", None)
                rest = packets[offset:]
                await closed_loop(http, node, rest, args.concurrency, args.closed_seconds, phase)
                phases.append((phase, await drain(node, phase)))
                print(json.dumps(report(*phases[-1])), file=sys.stderr)
        for profiler in profilers:
            profiler.send_signal(signal.SIGINT)
            await asyncio.to_thread(profiler.wait, 60)
        pids = sorted(set(pids) | set(node.pids()))
        cpu = sum(cpu_seconds(pid) - cpu_before.get(pid, 0.0) for pid in pids)
        rss = sum(peak_rss_mib(pid) for pid in pids)
        own_cpu = time.process_time() - own_before
    reports = [report(phase, rows) for phase, rows in phases]
    all_sent = [s for phase, _ in phases for s in phase.sent]
    all_rows = [row for _, rows in phases for row in rows]
    accepted = sum(1 for s in all_sent if s.status == 202)
    expected = sum(s.routed for s in all_sent if s.status == 202)
    unique = {(r, m) for _, r, m, _ in all_rows}
    best = max((float(str(p["deliveries_per_s"])) for p in reports), default=0.0)
    at_500 = [p for p in reports if p["offered_per_s"] == 500.0]
    return {
        "benchmark": "B1",
        "database": "postgresql" if args.database_url else "sqlite",
        "processes": args.processes,
        "packet_bytes": len(packets[0][2]),
        "phases": reports,
        "accepted": accepted,
        "deliveries": len(all_rows),
        "lost": max(expected - len(unique), 0),
        "duplicated": len(all_rows) - len(unique),
        "node_cpu_ms_per_accepted": round(cpu * 1000 / max(accepted, 1), 2),
        "node_processes": len(pids),
        "node_peak_rss_mib": round(rss, 1),
        "load_generator_cpu_s": round(own_cpu, 1),
        "best_deliveries_per_s": best,
        "baseline_raw_pipe_per_s": round(baseline, 1),
        "ratio": round(best / baseline, 3) if baseline else None,
        "p99_ms_at_500": at_500[0]["p99_ms"] if at_500 else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="100,500,1000,2000")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--closed-seconds", type=float, default=10.0)
    parser.add_argument(
        "--closed-max",
        type=int,
        default=20_000,
        help="packets signed for the closed loop (it ends when they run out)",
    )
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--raw-count", type=int, default=20_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--processes",
        type=int,
        default=None,
        help="AXIS_PROCESSES for the node (default: the node's own)",
    )
    parser.add_argument(
        "--profile",
        default=None,
        help="py-spy the node's processes during the load: collapsed stacks in "
        "PROFILE.0, PROFILE.1, ...",
    )
    args = parser.parse_args()
    result = asyncio.run(run(args))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
