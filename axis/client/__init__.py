"""A client of an axis node's HTTP API (`/v1`), for document management systems, operators'
scripts and the `axis` command itself.

`AsyncAxisClient` (asyncio) and `AxisClient` (blocking) have the same methods; each route is
described once (`Call`: method, path, query, body, how to read the answer) and both clients
only differ in how they perform the request, so they cannot drift apart. Answers are the
node's own response models (`axis.wire`, frozen pydantic models that load nothing of the node:
no FastAPI, SQLAlchemy or Kafka client), under the client's names (`SendResult` is the node's
`SubmitReply`, ...).

Every refusal raises `AxisError` with the node's machine code (`INBOX_ACK_CONFLICT`,
`ROLE_REQUIRED`, ...) and sentence; an answer that is not the node's JSON error (a proxy's 502
page) gets `HTTP_<status>`, and a node that cannot be reached gets `NODE_UNREACHABLE` (or
`NODE_TIMEOUT`), with the URL, so callers handle one exception type.

Import everything from `axis.client`; its modules are `models` (the answers), `errors`
(`AxisError`), `calls` (each route described once) and the two clients, `asynchronous` and
`synchronous`.

Example: one pass of a document management system's loop (run it every few seconds): send a
signed packet (`axis sign`), then take every document waiting in the inbox, fetch it, store it
and acknowledge it `done`. Status packets arrive the same way with `kind="status"`::

    import asyncio
    import os
    import sys
    from pathlib import Path

    from axis.client import AsyncAxisClient, AxisError


    async def main(packet: Path, inbox_dir: Path) -> None:
        async with AsyncAxisClient(os.environ["AXIS_URL"], os.environ["AXIS_SECRET"]) as axis:
            try:
                sent = await axis.send(packet.read_bytes())
            except AxisError as error:  # e.g. SIGNATURE_INVALID, SUBMIT_SENDER_NOT_ALLOWED
                sys.exit(f"{error.code}: {error.message}")
            for recipient in sent.recipients:
                print(recipient.addressed, recipient.outcome, recipient.target or recipient.reason)
            async for item in axis.iter_inbox(kind="edoc", pending=True):
                data = await axis.fetch(item.message_id)
                (inbox_dir / f"{item.message_id}.xml").write_bytes(data)
                await axis.ack(item.message_id, "done")
                print("received", item.document_id, "from", item.sender)


    asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2])))

The blocking `AxisClient` reads the same, without `async`/`await` (`with AxisClient(...)`).
"""

from axis.client.asynchronous import AsyncAxisClient
from axis.client.calls import DEFAULT_TIMEOUT, USER_AGENT
from axis.client.errors import AxisError, error_from_response
from axis.client.models import (
    AckAnswer,
    AckResult,
    AppliedChangeSet,
    AuditEntry,
    ClientInfo,
    DeadLetter,
    DestinationChange,
    Finding,
    InboxItem,
    InboxPage,
    IssuedClient,
    Kind,
    PausedDestination,
    RecipientOutcome,
    RecipientState,
    RegistryVersion,
    ReplayedLetter,
    Resolution,
    SendResult,
    SentMessage,
    TimelineStep,
    TrackedRecipient,
    TrackingReport,
    Unit,
    UnitDetail,
    UnitPage,
)
from axis.client.synchronous import AxisClient

__all__ = [
    "DEFAULT_TIMEOUT",
    "USER_AGENT",
    "AckAnswer",
    "AckResult",
    "AppliedChangeSet",
    "AsyncAxisClient",
    "AuditEntry",
    "AxisClient",
    "AxisError",
    "ClientInfo",
    "DeadLetter",
    "DestinationChange",
    "Finding",
    "InboxItem",
    "InboxPage",
    "IssuedClient",
    "Kind",
    "PausedDestination",
    "RecipientOutcome",
    "RecipientState",
    "RegistryVersion",
    "ReplayedLetter",
    "Resolution",
    "SendResult",
    "SentMessage",
    "TimelineStep",
    "TrackedRecipient",
    "TrackingReport",
    "Unit",
    "UnitDetail",
    "UnitPage",
    "error_from_response",
]
