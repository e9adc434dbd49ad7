"""`axis demo`: one signed document through a node, end to end, on the embedded defaults.

The Government Office (G22) sends a signed dispatch to Nghe An (H41) and to Long An (H39), a
province closed on 2025-07-01 and merged into Tay Ninh (H53): the registry redirects it. The
node delivers both by pull; each recipient fetches its copy, acknowledges it and answers with
status packets 01, 03 and 06, which reach the Government Office's inbox and move the tracked
state of its delivery. The demo prints each recipient's timeline.

Everything it needs is set up the first time: the database schema, the generated 2025
registry (when the registry is empty), a development PKI in `<data dir>/demo-pki` and its
certificates in the node's trust store.

The demo's topics have a prefix of its own data directory (unless AXIS_TOPIC_PREFIX is set), so
a demo never shares its consumer groups with another node on the same broker, which would take
a share of the demo's deliveries into its own database.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from axis.devtools.dataset2025 import build_dataset
from axis.devtools.dev_pki import write_dev_pki
from axis.migrations.runner import upgrade
from axis.node.assembly import Node, open_node
from axis.node.parts import database
from axis.settings import Settings
from axis.store.db import session_factory
from axis.store.trust_repository import import_audited
from envelopes.codes import StatusCode
from envelopes.document_id import DocumentId
from envelopes.model import (
    Code,
    DocumentPacket,
    DocumentType,
    Organization,
    PromulgationInfo,
    ResponseFor,
    StaffInfo,
    StatusPacket,
)
from envelopes.records import RecordKind
from envelopes.writing import to_bytes
from orgcodes.changes import parse_change_set
from orgcodes.resolver import Outcome
from orgcodes.service import RegistryService
from routing.inbox_store import Ack, InboxItem, InboxItemNotFound
from routing.lifecycle import Phase
from routing.outcomes import SubmissionResult
from routing.pull_delivery import Fetched
from routing.tracking import DeliveryView, TrackingStore
from routing.workers import WorkerRole
from signing.certificates import load_certificate, load_private_key
from signing.signer import sign_packet

SENDER = "000.00.00.G22"
"""Văn phòng Chính phủ, the Government Office."""
ACTIVE = "000.00.00.H41"
"""Nghệ An, an active province."""
CLOSED = "000.00.00.H39"
"""Long An, closed on 2025-07-01 (illustrative code in the generated dataset)."""
SUCCESSOR = "000.00.00.H53"
"""Tây Ninh, which Long An was merged into."""
ACTOR = "axis demo"
ANSWERS = (
    (StatusCode.ARRIVED, "Đã nhận văn bản"),
    (StatusCode.ACCEPTED, "Đã vào sổ, chuyển lãnh đạo"),
    (StatusCode.FINISHED, "Đã xử lý xong"),
)
WAIT_SECONDS = 120.0


class DemoError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


Say = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class DemoRun:
    result: SubmissionResult
    deliveries: list[DeliveryView]


def demo_topic_prefix(data_dir: Path) -> str:
    """A topic prefix of the data directory's own: the same for every run on it."""
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:12]
    return f"axis-demo-{digest}."


def demo_settings(settings: Settings) -> Settings:
    """`settings` with the demo's own topic prefix, unless AXIS_TOPIC_PREFIX was given."""
    if "topic_prefix" in settings.model_fields_set:
        return settings
    return settings.model_copy(update={"topic_prefix": demo_topic_prefix(settings.data_dir)})


async def run_demo(settings: Settings, say: Say) -> DemoRun:
    """Prepare the node (schema, registry, development PKI), then run the conversation on the
    demo's own topics (`demo_settings`)."""
    settings = demo_settings(settings)
    say(f"bus: topics {settings.topic_prefix}* on {settings.kafka_bootstrap}")
    async with database(settings) as engine:
        await upgrade(engine)
        sessions = session_factory(engine)
        await _registry(RegistryService(sessions), settings, say)
        pki = settings.data_dir / "demo-pki"
        await _trust(sessions, pki, say)
    async with open_node(settings) as node:
        stop = asyncio.Event()
        workers = asyncio.create_task(node.run(list(WorkerRole), stop))
        try:
            return await _conversation(node, pki, say, workers)
        finally:
            stop.set()
            await asyncio.gather(workers, return_exceptions=True)


async def _registry(service: RegistryService, settings: Settings, say: Say) -> None:
    await service.load()
    if service.version == 0:
        if settings.registry_mode == "follower":
            raise DemoError(
                "DEMO_REGISTRY_EMPTY",
                "this node follows a registry authority and holds no registry yet; run the demo "
                "on a standalone node (AXIS_REGISTRY_MODE=standalone)",
            )
        dataset = build_dataset()
        for change_set in (dataset.baseline, dataset.rearrangement):
            await service.apply(parse_change_set(change_set), actor=ACTOR, source="demo")
        say(
            f"registry: loaded the generated 2025 dataset (version {service.version}, "
            f"{dataset.facts.counts['provinces_after']} provinces and "
            f"{dataset.facts.counts['communes_after']} communes after 2025-07-01)"
        )
    now = datetime.now(UTC)
    expected = {SENDER: Outcome.ACTIVE, ACTIVE: Outcome.ACTIVE, CLOSED: Outcome.REDIRECTED}
    for code, outcome in expected.items():
        found = service.resolve(code, now)
        if found.outcome is not outcome or (code == CLOSED and found.target != SUCCESSOR):
            raise DemoError(
                "DEMO_REGISTRY_UNSUITABLE",
                f"the registry (version {service.version}) answers {code} as "
                f"{found.outcome.value}; the demo needs the generated 2025 registry. Run it with "
                "a fresh data directory (AXIS_DATA_DIR=/tmp/axis-demo axis demo)",
            )
    say(f"registry: version {service.version}; {CLOSED} redirects to {SUCCESSOR}")


async def _trust(sessions: async_sessionmaker[AsyncSession], pki: Path, say: Say) -> None:
    codes = [SENDER, ACTIVE, SUCCESSOR]
    if not all((pki / f"{code}.pem").exists() for code in codes):
        await asyncio.to_thread(write_dev_pki, pki, codes)
    async with sessions.begin() as session:
        await import_audited(session, pki, actor=ACTOR, at=datetime.now(UTC))
    say(f"trust: development certificates for {', '.join(codes)} ({pki})")


def _signed(data: bytes, pki: Path, code: str) -> bytes:
    return sign_packet(
        data, load_private_key(pki / f"{code}.key"), load_certificate(pki / f"{code}.pem")
    )


async def _conversation(node: Node, pki: Path, say: Say, workers: asyncio.Task[None]) -> DemoRun:
    now = datetime.now(UTC)
    number = f"{now:%H%M%S}{uuid.uuid4().hex[:4]}"
    document_id = DocumentId.parse(f"{SENDER},{now:%Y/%m/%d},{number}/TB-VPCP")
    document = DocumentPacket(
        sender=Organization(organ_id=SENDER, organ_name="Văn phòng Chính phủ"),
        recipients=(
            Organization(organ_id=ACTIVE, organ_name="UBND tỉnh Nghệ An"),
            Organization(organ_id=CLOSED, organ_name="UBND tỉnh Long An"),
        ),
        document_id=document_id,
        code=Code(number, "TB-VPCP"),
        promulgation=PromulgationInfo(now.date(), "Hà Nội"),
        document_type=DocumentType("1", "4", "Thông báo"),
        subject="Thông báo về việc gửi, nhận văn bản điện tử sau sắp xếp đơn vị hành chính",
    )
    data = _signed(to_bytes(document), pki, SENDER)
    result = await node.submission.submit(data, caller_codes=frozenset({SENDER}), caller=ACTOR)
    say(f"sent {document_id} as message {result.message_id}")
    for outcome in result.recipients:
        via = f" via {' -> '.join(outcome.chain)}" if outcome.chain else ""
        say(f"  {outcome.addressed}: {outcome.outcome.value}{via}")
    targets = [o.target for o in result.recipients if o.target is not None]

    async def wait(check: Callable[[], Awaitable[bool]], what: str) -> None:
        deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
        while not await check():
            if workers.done():
                workers.result()  # a worker failed: say why
            if asyncio.get_running_loop().time() > deadline:
                raise DemoError(
                    "DEMO_TIMEOUT", f"timed out after {WAIT_SECONDS:.0f} s waiting for {what}"
                )
            await asyncio.sleep(0.2)

    for code in targets:
        fetched: list[Fetched] = []

        async def landed(code: str = code, fetched: list[Fetched] = fetched) -> bool:
            try:
                fetched.append(await node.mailbox.fetch([code], result.message_id))
            except InboxItemNotFound:
                return False
            return True

        await wait(landed, f"the document in {code}'s inbox")
        if fetched[0].data != data:
            raise DemoError("DEMO_PACKET_CHANGED", f"{code} received other bytes than were sent")
        await node.mailbox.acknowledge([code], result.message_id, Ack.DONE)
        say(
            f"{code} fetched the document ({len(fetched[0].data)} bytes, as signed) and "
            "acknowledged it"
        )
        for status_code, description in ANSWERS:
            status = StatusPacket(
                sender=Organization(organ_id=code),
                response_for=ResponseFor(organ_id=SENDER, document_id=document_id),
                status_code=status_code,
                timestamp=datetime.now(UTC),
                description=description,
                staff=StaffInfo(department="Văn thư", staff="Văn thư"),
            )
            signed = _signed(to_bytes(status), pki, code)
            await node.submission.submit(signed, caller_codes=frozenset({code}), caller=ACTOR)
        say(f"{code} answered 01 -> 03 -> 06")

    async def answered() -> bool:
        async with node.sessions() as session:
            found = await TrackingStore().deliveries_of(session, result.message_id)
        return len(found) == len(targets) and all(
            d.phase is Phase.ACKNOWLEDGED and d.last_status is StatusCode.FINISHED for d in found
        )

    await wait(answered, "every delivery acknowledged with status 06")
    statuses = len(targets) * len(ANSWERS)

    async def answers() -> list[InboxItem]:
        items = await node.mailbox.list([SENDER], kind=RecordKind.STATUS, limit=10_000)
        return [item for item in items if item.document_id == str(document_id)]

    async def answers_in() -> bool:
        return len(await answers()) >= statuses

    await wait(answers_in, f"{statuses} status packets in {SENDER}'s inbox")
    for item in await answers():
        await node.mailbox.fetch([SENDER], item.message_id)
        await node.mailbox.acknowledge([SENDER], item.message_id, Ack.DONE)
    say(f"{SENDER} fetched and acknowledged the {statuses} status packets")
    async with node.sessions() as session:
        deliveries = await TrackingStore().deliveries_of(session, result.message_id)
    return DemoRun(result, deliveries)
