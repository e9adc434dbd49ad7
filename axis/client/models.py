"""The answers of the node's `/v1` API, under the names the client has always used: they are the
node's own response models (`axis.wire`), which load pydantic and nothing of the node."""

from __future__ import annotations

from typing import Literal

from axis.wire.documents import AckReply as AckResult
from axis.wire.documents import FindingModel as Finding
from axis.wire.documents import InboxEntry as InboxItem
from axis.wire.documents import InboxPage as InboxPage
from axis.wire.documents import RecipientOutcomeModel as RecipientOutcome
from axis.wire.documents import RecipientState as RecipientState
from axis.wire.documents import SentEntry as SentMessage
from axis.wire.documents import SubmitReply as SendResult
from axis.wire.documents import TimelineStep as TimelineStep
from axis.wire.documents import TrackedRecipient as TrackedRecipient
from axis.wire.documents import TrackingReport as TrackingReport
from axis.wire.operations import AuditModel as AuditEntry
from axis.wire.operations import Changed as DestinationChange
from axis.wire.operations import ClientModel as ClientInfo
from axis.wire.operations import DeadLetterModel as DeadLetter
from axis.wire.operations import IssuedModel as IssuedClient
from axis.wire.operations import PauseModel as PausedDestination
from axis.wire.operations import ReplayedModel as ReplayedLetter
from axis.wire.registry import Applied as AppliedChangeSet
from axis.wire.registry import Resolved as Resolution
from axis.wire.registry import Unit as Unit
from axis.wire.registry import UnitDetail as UnitDetail
from axis.wire.registry import UnitPage as UnitPage
from axis.wire.registry import VersionEntry as RegistryVersion

__all__ = [
    "AckAnswer",
    "AckResult",
    "AppliedChangeSet",
    "AuditEntry",
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
]

AckAnswer = Literal["processing", "done", "fail"]
Kind = Literal["edoc", "status"]
