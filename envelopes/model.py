"""The edXML packets as typed values: a document packet, a status packet, and their parts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from envelopes.attachments import Attachment, Reference
from envelopes.codes import BusinessDocType, Priority, ReceiverType, StatusCode
from envelopes.dates import require_aware
from envelopes.document_id import DocumentId
from envelopes.errors import Problem
from envelopes.text_groups import element


@dataclass(frozen=True, slots=True)
class Organization:
    """An agency as From or To names it."""

    organ_id: str = element("OrganId")
    organization_in_charge: str = element("OrganizationInCharge")
    organ_name: str = element("OrganName")
    organ_add: str = element("OrganAdd")
    email: str = element("Email")
    telephone: str = element("Telephone")
    fax: str = element("Fax")
    website: str = element("Website")


@dataclass(frozen=True, slots=True)
class Code:
    """The number and notation of a document, e.g. 7816 and VPCP-TTDT."""

    number: str = element("CodeNumber")
    notation: str = element("CodeNotation")

    @classmethod
    def parse(cls, text: str) -> Code:
        """Read the `number/notation` form used in ResponseFor/Code."""
        number, _, notation = text.strip().partition("/")
        return cls(number=number, notation=notation)

    def __str__(self) -> str:
        return f"{self.number}/{self.notation}" if self.notation else self.number


@dataclass(frozen=True, slots=True)
class PromulgationInfo:
    """Where and when the document was promulgated."""

    day: date | None
    """None when the packet's date could not be read (a finding, see envelopes.policy)."""
    place: str = ""


@dataclass(frozen=True, slots=True)
class DocumentType:
    """The kind of document (e.g. Type 1, TypeName "Công văn")."""

    type: str = element("Type")
    type_detail: str = element("TypeDetail")
    type_name: str = element("TypeName")


@dataclass(frozen=True, slots=True)
class SignerInfo:
    """Who signed the document; real packets often leave it empty."""

    competence: str = element("Competence")
    position: str = element("Position")
    full_name: str = element("FullName")


@dataclass(frozen=True, slots=True)
class StaffInfo:
    """The clerk who handled a packet."""

    department: str = element("Department")
    staff: str = element("Staff")
    email: str = element("Email")
    mobile: str = element("Mobile")


@dataclass(frozen=True, slots=True, kw_only=True)
class OtherInfo:
    """Handling details of a document."""

    priority: Priority = Priority.NORMAL
    sphere_of_promulgation: str = ""
    typer_notation: str = ""
    promulgation_amount: int | None = None
    page_amount: int | None = None
    direction: bool = False
    appendixes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ResponseFor:
    """The earlier document a packet answers: a reply, or the original of a status."""

    organ_id: str
    document_id: DocumentId
    code: Code = field(default_factory=Code)
    day: date | None = None
    """PromulgationDate of the earlier document."""


@dataclass(frozen=True, slots=True)
class TraceHeader:
    """One hop of the packet: the agency or axis that handled it, and when."""

    organ_id: str
    timestamp: datetime

    def __post_init__(self) -> None:
        require_aware(self.timestamp, "TraceHeader.timestamp")


@dataclass(frozen=True, slots=True)
class Receiver:
    """A recipient an update packet adds or removes."""

    organ_id: str
    receiver_type: ReceiverType


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentChanges:
    """BussinessDocumentInfo of an update packet: what changed about the document."""

    document_info_changed: bool = False
    """DocumentInfo: the document's own information changed."""
    receivers_changed: bool = False
    """DocumentReceiver: the list of recipients changed (see `receivers`)."""
    receivers: tuple[Receiver, ...] = ()


@dataclass(frozen=True, slots=True)
class ReplacementInfo:
    """A document a replace packet supersedes, and at which agencies."""

    document_id: DocumentId | None
    """None when the packet's DocumentId could not be read: only `organ_ids` then route."""
    organ_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Business:
    """TraceHeaderList/Bussiness: what a document packet does to the document it names."""

    doc_type: BusinessDocType = BusinessDocType.NEW
    reason: str = ""
    document_id: DocumentId | None = None
    """The document acted upon by a revoke, update or replace (from ResponseFor when the packet
    does not name it here, as real packets do)."""
    paper: bool = False
    """Whether a paper copy is also sent."""
    staff: StaffInfo = field(default_factory=StaffInfo)
    changes: DocumentChanges | None = None
    """For update: what changed (BussinessDocumentInfo)."""
    replacements: tuple[ReplacementInfo, ...] = ()
    """For replace: the documents superseded (ReplacementInfoList)."""

    @property
    def added_recipients(self) -> tuple[str, ...]:
        return self._receivers(ReceiverType.ADDED)

    @property
    def removed_recipients(self) -> tuple[str, ...]:
        return self._receivers(ReceiverType.REMOVED)

    def _receivers(self, kind: ReceiverType) -> tuple[str, ...]:
        receivers = self.changes.receivers if self.changes else ()
        return tuple(r.organ_id for r in receivers if r.receiver_type is kind)


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentPacket:
    """A document sent from one agency to one or more others (new, revoke, update or replace)."""

    sender: Organization
    recipients: tuple[Organization, ...]
    document_id: DocumentId
    code: Code
    promulgation: PromulgationInfo | None
    document_type: DocumentType
    subject: str
    content: str = ""
    signer: SignerInfo = field(default_factory=SignerInfo)
    due_date: date | None = None
    other_info: OtherInfo = field(default_factory=OtherInfo)
    response_for: tuple[ResponseFor, ...] = ()
    steering_type: str = ""
    to_places: tuple[str, ...] = ()
    trace_headers: tuple[TraceHeader, ...] = ()
    business: Business = field(default_factory=Business)
    manifest: tuple[Reference, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    signature_present: bool = field(default=False, compare=False)
    """Whether the parsed bytes carried a Signature element (not whether it is valid)."""
    raw: bytes = field(default=b"", compare=False, repr=False)
    """The bytes this packet was parsed from, for signature verification; empty if built in code."""
    findings: tuple[Problem, ...] = field(default=(), compare=False, repr=False)
    """What reading found wrong without refusing it (envelopes.policy): reported, not fatal."""

    def __post_init__(self) -> None:
        if not self.recipients:
            raise ValueError("a document packet needs at least one recipient")
        announced = Counter(r.content_id for r in self.manifest)
        carried = Counter(a.content_id for a in self.attachments)
        if announced != carried or any(n > 1 for n in carried.values()):
            raise ValueError(
                "manifest references and attachments must match one to one by ContentId"
            )

    @property
    def sender_code(self) -> str:
        return self.sender.organ_id

    @property
    def recipient_codes(self) -> tuple[str, ...]:
        return tuple(r.organ_id for r in self.recipients)

    @property
    def business_type(self) -> BusinessDocType:
        return self.business.doc_type

    def attachment(self, content_id: str) -> Attachment:
        """The attachment with this ContentId (KeyError if none)."""
        for candidate in self.attachments:
            if candidate.content_id == content_id:
                return candidate
        raise KeyError(content_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusPacket:
    """A status (receipt) that a recipient sends back about a document it received."""

    sender: Organization
    """The agency reporting the status (From)."""
    response_for: ResponseFor
    """The original document the status is about."""
    status_code: StatusCode
    timestamp: datetime | None
    """None when the packet's Timestamp could not be read (a finding)."""
    description: str = ""
    staff: StaffInfo = field(default_factory=StaffInfo)
    signature_present: bool = field(default=False, compare=False)
    raw: bytes = field(default=b"", compare=False, repr=False)
    findings: tuple[Problem, ...] = field(default=(), compare=False, repr=False)
    """What reading found wrong without refusing it (envelopes.policy)."""

    def __post_init__(self) -> None:
        if self.timestamp is not None:
            require_aware(self.timestamp, "StatusPacket.timestamp")

    @property
    def sender_code(self) -> str:
        return self.sender.organ_id

    @property
    def original_document_id(self) -> DocumentId:
        return self.response_for.document_id


Packet = DocumentPacket | StatusPacket
"""What a parsed edXML packet is."""
