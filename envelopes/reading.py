"""Reading the model out of a normalized packet tree: typed values, and every problem with them
(required elements by packet kind, dates, DocumentIds, codes, manifest against attachments).

Each problem is an error or a finding by its code (`envelopes.policy`). A packet with errors is
not built; one with findings only is built from what can be read (an unreadable date dropped,
the first of two repeated elements kept, the document a revoke acts on taken from ResponseFor),
and the findings are reported with it."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import TypeVar

from lxml import etree

from envelopes.attachments import Attachment, AttachmentContent, Reference
from envelopes.codes import BusinessDocType, Priority, ReceiverType, StatusCode
from envelopes.dates import DateFormatError, parse_date, parse_timestamp
from envelopes.document_id import DocumentId, DocumentIdError
from envelopes.findings import Finding
from envelopes.model import (
    Business,
    Code,
    DocumentChanges,
    DocumentPacket,
    DocumentType,
    Organization,
    OtherInfo,
    Packet,
    PromulgationInfo,
    Receiver,
    ReplacementInfo,
    ResponseFor,
    SignerInfo,
    StaffInfo,
    StatusPacket,
    TraceHeader,
)
from envelopes.policy import is_error
from envelopes.problem_codes import ProblemCode
from envelopes.safe_parsing import ScannedPacket
from envelopes.text_groups import text_elements

E = TypeVar("E", bound=Enum)
G = TypeVar("G")

_DOCUMENT_ONLY = frozenset(
    {
        "To", "DocumentId", "Code", "PromulgationInfo", "DocumentType", "Subject", "Content",
        "SignerInfo", "DueDate", "OtherInfo", "SteeringType", "ToPlaces",
    }
)  # fmt: skip
_STATUS_ONLY = frozenset({"StaffInfo", "StatusCode", "Description", "Timestamp"})
_AMOUNT = re.compile(r"[0-9]+")
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0", ""})
_NO_CONTENT = AttachmentContent(())
_READ_ONCE = frozenset(
    {
        "edXMLEnvelope", "edXMLHeader", "MessageHeader", "From", "OrganId", "DocumentId",
        "StatusCode", "ResponseFor", "TraceHeaderList", "Bussiness", "BussinessDocType",
        "ReceiverList", "ReceiverType", "ReplacementInfoList", "edXMLBody", "edXMLManifest",
        "AttachmentEncoded", "ContentId", "ContentTransferEncoded", "Signature",
    }
)  # fmt: skip
"""Elements routing or tracking read, where a second one would be a second answer: repeating
one is an error (`UNEXPECTED_ELEMENT`); repeating anything else is a finding."""


def read_packet(scanned: ScannedPacket, raw: bytes) -> tuple[Packet | None, list[Finding]]:
    """The packet in a normalized tree, or None and the findings that prevent building it."""
    reader = _Reader(scanned.contents)
    packet = reader.packet(scanned.root, raw)
    return (None if reader.refused() else packet), reader.findings


class _Reader:
    """Walks the tree once, collecting findings instead of stopping at the first."""

    def __init__(self, contents: dict[etree._Element, AttachmentContent]) -> None:
        self._contents = contents
        self.findings: list[Finding] = []
        self._reported: set[Finding] = set()

    def refused(self) -> bool:
        """Whether any problem found so far is an error."""
        return any(is_error(finding.code) for finding in self.findings)

    # -- packets ----------------------------------------------------------------------------

    def packet(self, root: etree._Element, raw: bytes) -> Packet | None:
        envelope = self._require(root, "edXMLEnvelope", "the envelope of the packet")
        header = (
            self._require(envelope, "edXMLHeader", "the header of the packet")
            if envelope is not None
            else None
        )
        message = (
            self._require(header, "MessageHeader", "what the packet says")
            if header is not None
            else None
        )
        if envelope is None or header is None or message is None:
            return None
        signed = self._one(header, "Signature") is not None
        if self._one(message, "StatusCode") is not None:
            self._refuse_kind(message, _DOCUMENT_ONLY, "a status packet")
            self._refuse_status_attachments(root, envelope)
            return self._status(message, signed, raw)
        self._refuse_kind(message, _STATUS_ONLY, "a document packet")
        return self._document(root, envelope, header, message, signed, raw)

    def _document(
        self,
        root: etree._Element,
        envelope: etree._Element,
        header: etree._Element,
        message: etree._Element,
        signed: bool,
        raw: bytes,
    ) -> DocumentPacket | None:
        sender = self._organization(self._require(message, "From", "the sending agency"))
        to_elements = self._children(message, "To")
        if not to_elements:
            self._missing(message, "To", "at least one recipient agency")
        recipients = tuple(self._organization(element) for element in to_elements)
        document_id = self._document_id(message, "DocumentId", required=True)
        self._check_sender(message, "DocumentId", document_id, sender.organ_id, "From/OrganId")
        code_element = self._wanted(message, "Code", "the document's number and notation")
        promulgation = self._promulgation(
            self._wanted(message, "PromulgationInfo", "the promulgation date")
        )
        document_type = self._group(
            self._wanted(message, "DocumentType", "the kind of document"), DocumentType
        )
        subject = self._required_text(
            message, "Subject", "the subject of the document", _MISSING_INFORMATION
        )
        trace_list = self._one(header, "TraceHeaderList")
        trace_headers = tuple(
            self._trace_header(element) for element in self._children(trace_list, "TraceHeader")
        )
        response_for = tuple(
            r
            for r in (self._referenced(e) for e in self._children(message, "ResponseFor"))
            if r is not None
        )
        business = self._business(trace_list, sender.organ_id, response_for)
        manifest, attachments = self._attachments(root, envelope)
        code = self._group(code_element, Code)
        content = self._child_text(message, "Content")
        signer = self._group(self._one(message, "SignerInfo"), SignerInfo)
        due_date = self._date(message, "DueDate", missing=None)
        other_info = self._other_info(self._one(message, "OtherInfo"))
        steering_type = self._child_text(message, "SteeringType")
        to_places = self._texts(self._one(message, "ToPlaces"), "Place")
        if self.refused() or document_id is None:
            return None
        return DocumentPacket(
            sender=sender,
            recipients=recipients,
            document_id=document_id,
            code=code,
            promulgation=promulgation,
            document_type=document_type,
            subject=subject,
            content=content,
            signer=signer,
            due_date=due_date,
            other_info=other_info,
            response_for=response_for,
            steering_type=steering_type,
            to_places=to_places,
            trace_headers=tuple(t for t in trace_headers if t is not None),
            business=business,
            manifest=manifest,
            attachments=attachments,
            signature_present=signed,
            raw=raw,
        )

    def _status(self, message: etree._Element, signed: bool, raw: bytes) -> StatusPacket | None:
        sender = self._organization(self._require(message, "From", "the reporting agency"))
        response_element = self._require(message, "ResponseFor", "the document reported on")
        response_for = self._reported_on(response_element) if response_element is not None else None
        status_code = self._enum(
            message, "StatusCode", StatusCode, ProblemCode.UNKNOWN_STATUS_CODE, required=True
        )
        timestamp = self._timestamp(message, "Timestamp", _MISSING_INFORMATION)
        staff = self._group(self._one(message, "StaffInfo"), StaffInfo)
        description = self._child_text(message, "Description")
        if self.refused() or response_for is None or status_code is None:
            return None
        return StatusPacket(
            sender=sender,
            response_for=response_for,
            status_code=status_code,
            timestamp=timestamp,
            description=description,
            staff=staff,
            signature_present=signed,
            raw=raw,
        )

    def _refuse_kind(self, message: etree._Element, foreign: frozenset[str], kind: str) -> None:
        for child in message:
            if child.tag in foreign:
                self._add(
                    ProblemCode.UNEXPECTED_ELEMENT,
                    f"{child.tag} does not belong in {kind}'s MessageHeader"
                    + (" (it has a StatusCode)." if kind == "a status packet" else "."),
                    child,
                )

    def _refuse_status_attachments(self, root: etree._Element, envelope: etree._Element) -> None:
        body = self._one(envelope, "edXMLBody")
        manifest = self._one(body, "edXMLManifest")
        encoded = self._one(root, "AttachmentEncoded")
        for element in self._children(manifest, "Reference") + self._children(
            encoded, "Attachment"
        ):
            self._add(
                ProblemCode.UNEXPECTED_ELEMENT,
                "A status packet carries no attachments; remove this one.",
                element,
            )

    # -- parts ------------------------------------------------------------------------------

    def _organization(self, element: etree._Element | None) -> Organization:
        organization = self._group(element, Organization)
        if element is not None and not organization.organ_id:
            self._missing_or_empty(element, "OrganId", "the agency's organization code")
        return organization

    def _promulgation(self, element: etree._Element | None) -> PromulgationInfo | None:
        if element is None:
            return None
        day = self._date(element, "PromulgationDate", missing=_MISSING_INFORMATION)
        place = self._child_text(element, "Place")
        return PromulgationInfo(day=day, place=place)

    def _other_info(self, element: etree._Element | None) -> OtherInfo:
        if element is None:
            return OtherInfo()
        priority = self._enum(element, "Priority", Priority, ProblemCode.BAD_VALUE, required=False)
        return OtherInfo(
            priority=priority or Priority.NORMAL,
            sphere_of_promulgation=self._child_text(element, "SphereOfPromulgation"),
            typer_notation=self._child_text(element, "TyperNotation"),
            promulgation_amount=self._amount(element, "PromulgationAmount"),
            page_amount=self._amount(element, "PageAmount"),
            direction=self._flag(element, "Direction"),
            appendixes=self._texts(self._one(element, "Appendixes"), "Appendix"),
        )

    def _reported_on(self, element: etree._Element) -> ResponseFor | None:
        """A status's ResponseFor: where the status goes and what it reports on (routing)."""
        organ_id = self._required_text(element, "OrganId", "the code of the agency that sent it")
        document_id = self._document_id(element, "DocumentId", required=True)
        return self._response_for(element, organ_id, document_id)

    def _referenced(self, element: etree._Element) -> ResponseFor | None:
        """A document's ResponseFor: the document it answers, for people (and for a revoke
        without Bussiness/DocumentId); one that cannot be read is reported and left out."""
        organ_id = self._required_text(
            element, "OrganId", "the code of the agency that sent it", _MISSING_INFORMATION
        )
        document_id = self._referenced_id(element, "DocumentId")
        if not organ_id:
            return None
        return self._response_for(element, organ_id, document_id)

    def _response_for(
        self, element: etree._Element, organ_id: str, document_id: DocumentId | None
    ) -> ResponseFor | None:
        self._check_reference(element, "DocumentId", document_id, organ_id, "ResponseFor/OrganId")
        day = self._date(element, "PromulgationDate", missing=None)
        if document_id is None:
            return None
        return ResponseFor(
            organ_id=organ_id,
            document_id=document_id,
            code=Code.parse(self._child_text(element, "Code")),
            day=day,
        )

    def _trace_header(self, element: etree._Element) -> TraceHeader | None:
        organ_id = self._required_text(
            element, "OrganId", "the code of the agency of this hop", _MISSING_INFORMATION
        )
        timestamp = self._timestamp(element, "Timestamp", _MISSING_INFORMATION)
        return TraceHeader(organ_id, timestamp) if timestamp is not None and organ_id else None

    def _business(
        self,
        trace_list: etree._Element | None,
        sender: str,
        response_for: tuple[ResponseFor, ...],
    ) -> Business:
        element = self._one(trace_list, "Bussiness")
        if element is None:
            return Business()  # older packets have none: they are new documents
        doc_type = (
            self._enum(
                element,
                "BussinessDocType",
                BusinessDocType,
                ProblemCode.UNKNOWN_BUSINESS_TYPE,
                required=True,
            )
            or BusinessDocType.NEW
        )
        document_id = self._referenced_id(element, "DocumentId")
        self._check_reference(element, "DocumentId", document_id, sender, "From/OrganId")
        if document_id is None and doc_type is not BusinessDocType.NEW:
            document_id = self._acted_on(element, doc_type, response_for)
        replacement_list = self._one(element, "ReplacementInfoList")
        if doc_type is BusinessDocType.REPLACE and replacement_list is None:
            self._missing(
                element, "ReplacementInfoList", "the documents this one replaces",
                _MISSING_INFORMATION,
            )  # fmt: skip
        replacements = (
            self._replacement(child)
            for child in self._children(replacement_list, "ReplacementInfo")
        )
        return Business(
            doc_type=doc_type,
            reason=self._child_text(element, "BussinessDocReason"),
            document_id=document_id,
            paper=self._flag(element, "Paper"),
            staff=self._group(self._one(element, "StaffInfo"), StaffInfo),
            changes=self._changes(self._one(element, "BussinessDocumentInfo")),
            replacements=tuple(r for r in replacements if r is not None),
        )

    def _acted_on(
        self, element: etree._Element, kind: BusinessDocType, response_for: tuple[ResponseFor, ...]
    ) -> DocumentId | None:
        """The document a revoke, update or replace without a readable Bussiness/DocumentId acts
        on: the one its ResponseFor names, as real packets do (reported as a finding)."""
        named = response_for[0].document_id if response_for else None
        if kind is BusinessDocType.REPLACE:
            named, taken = None, "; the node acts on the documents ReplacementInfoList names"
        else:
            taken = f"; the node acts on {named}, which ResponseFor names" if named else ""
        if self._one(element, "DocumentId") is None or not _text(self._one(element, "DocumentId")):
            self._add(
                ProblemCode.BUSINESS_DOCUMENT_ID_MISSING,
                f"This {kind.name.lower()} (BussinessDocType {kind.value}) has no "
                f"Bussiness/DocumentId naming the document it acts on{taken}.",
                element,
            )
        return named

    def _changes(self, element: etree._Element | None) -> DocumentChanges | None:
        if element is None:
            return None
        receivers = (
            self._receiver(child)
            for child in self._children(self._one(element, "ReceiverList"), "Receiver")
        )
        return DocumentChanges(
            document_info_changed=self._flag(element, "DocumentInfo"),
            receivers_changed=self._flag(element, "DocumentReceiver"),
            receivers=tuple(r for r in receivers if r is not None),
        )

    def _receiver(self, element: etree._Element) -> Receiver | None:
        organ_id = self._required_text(
            element, "OrganId", "the recipient added or removed", ProblemCode.RECEIVER_INVALID
        )
        kind = self._enum(
            element, "ReceiverType", ReceiverType, ProblemCode.RECEIVER_INVALID, required=True,
            missing=ProblemCode.RECEIVER_INVALID,
        )  # fmt: skip
        return Receiver(organ_id, kind) if kind is not None else None

    def _replacement(self, element: etree._Element) -> ReplacementInfo | None:
        document_id = self._referenced_id(element, "DocumentId")
        organ_ids = self._texts(self._one(element, "OrganIdList"), "OrganId")
        if document_id is None and not organ_ids:
            return None
        return ReplacementInfo(document_id, organ_ids)

    def _attachments(
        self, root: etree._Element, envelope: etree._Element
    ) -> tuple[tuple[Reference, ...], tuple[Attachment, ...]]:
        manifest = self._one(self._one(envelope, "edXMLBody"), "edXMLManifest")
        reference_elements = self._children(manifest, "Reference")
        attachment_elements = self._children(self._one(root, "AttachmentEncoded"), "Attachment")
        references = tuple(self._group(element, Reference) for element in reference_elements)
        attachments = tuple(self._attachment(element) for element in attachment_elements)
        self._match_manifest(
            list(zip(reference_elements, (r.content_id for r in references), strict=True)),
            list(zip(attachment_elements, (a.content_id for a in attachments), strict=True)),
        )
        return references, attachments

    def _attachment(self, element: etree._Element) -> Attachment:
        self._required_text(element, "ContentId", "the cid: that the manifest refers to")
        encoded = self._require(element, "ContentTransferEncoded", "the base64 content")
        content = self._contents.get(encoded, _NO_CONTENT) if encoded is not None else _NO_CONTENT
        metadata = self._group(element, Attachment)
        return Attachment(
            content_id=metadata.content_id,
            name=metadata.name,
            description=metadata.description,
            content_type=metadata.content_type,
            content=content,
        )

    def _match_manifest(
        self,
        references: list[tuple[etree._Element, str]],
        attachments: list[tuple[etree._Element, str]],
    ) -> None:
        announced = Counter(cid for _, cid in references if cid)
        carried = Counter(cid for _, cid in attachments if cid)
        for element, cid in references:
            if announced[cid] > 1:
                self._mismatch(
                    element,
                    f"The manifest announces {cid} {announced[cid]} times; "
                    "each ContentId must be announced once.",
                )
            elif cid and not carried[cid]:
                self._mismatch(
                    element,
                    f"The manifest announces {cid}, but no Attachment "
                    "carries that ContentId; add the attachment or the reference.",
                )
        for element, cid in attachments:
            if carried[cid] > 1:
                self._mismatch(
                    element,
                    f"{carried[cid]} attachments carry {cid}; each ContentId must be used once.",
                )
            elif cid and not announced[cid]:
                self._mismatch(
                    element,
                    f"Attachment {cid} is not announced in the manifest; "
                    "add a Reference for it to edXMLManifest.",
                )

    def _mismatch(self, element: etree._Element, message: str) -> None:
        self._add(ProblemCode.MANIFEST_MISMATCH, message, element)

    # -- typed values -----------------------------------------------------------------------

    def _date(
        self, parent: etree._Element, name: str, *, missing: ProblemCode | None
    ) -> date | None:
        return self._value(parent, name, parse_date, missing=missing, example="2025/07/02")

    def _timestamp(
        self, parent: etree._Element, name: str, missing: ProblemCode
    ) -> datetime | None:
        return self._value(
            parent, name, parse_timestamp, missing=missing, example="2025/07/02 14:05:11"
        )

    def _value(
        self,
        parent: etree._Element,
        name: str,
        parse: Callable[[str], G],
        *,
        missing: ProblemCode | None,
        example: str,
    ) -> G | None:
        found = self._text_of(parent, name, f"a date such as {example}", missing=missing)
        if found is None:
            return None
        element, text = found
        try:
            return parse(text)
        except DateFormatError as error:
            self._add(ProblemCode.BAD_DATE, f"{name}: {error}; write it like {example}.", element)
            return None

    def _text_of(
        self, parent: etree._Element, name: str, expected: str, *, missing: ProblemCode | None
    ) -> tuple[etree._Element, str] | None:
        """The child `name` and its text, or None when it is absent or empty (reported with
        the code `missing`, unless it is None: optional); `expected` says what the text should
        be, for the problem's sentence."""
        element = (
            self._require(parent, name, expected, missing)
            if missing is not None
            else self._one(parent, name)
        )
        text = _text(element)
        if element is None or not text:
            if element is not None and missing is not None:
                self._missing_or_empty(parent, name, expected, missing)
            return None
        return element, text

    def _document_id(
        self, parent: etree._Element, name: str, *, required: bool
    ) -> DocumentId | None:
        what = "the DocumentId ({senderCode},{yyyy/MM/dd},{number}/{notation})"
        missing = ProblemCode.MISSING_ELEMENT if required else None
        found = self._text_of(parent, name, what, missing=missing)
        if found is None:
            return None
        return self._parse_document_id(*found, name, ProblemCode.DOCUMENT_ID_INVALID)

    def _referenced_id(self, parent: etree._Element, name: str) -> DocumentId | None:
        """A DocumentId naming another document: one that cannot be read is reported as a
        finding and ignored (real packets carry impossible dates there)."""
        what = "the DocumentId of the document referred to"
        found = self._text_of(parent, name, what, missing=None)
        if found is None:
            return None
        return self._parse_document_id(
            *found, name, ProblemCode.REFERENCED_DOCUMENT_ID_INVALID, ignored=True
        )

    def _parse_document_id(
        self,
        element: etree._Element,
        text: str,
        name: str,
        code: ProblemCode,
        *,
        ignored: bool = False,
    ) -> DocumentId | None:
        try:
            return DocumentId.parse(text)
        except DocumentIdError as error:
            consequence = " It is ignored." if ignored else ""
            self._add(
                code,
                f"{name} is not a valid DocumentId: {error}. "
                f"Expected e.g. 000.00.00.G22,2018/09/20,7816/VPCP-TTDT.{consequence}",
                element,
            )
            return None

    def _check_sender(
        self,
        parent: etree._Element,
        name: str,
        document_id: DocumentId | None,
        sender: str,
        sender_label: str,
        code: ProblemCode = ProblemCode.DOCUMENT_ID_SENDER_MISMATCH,
    ) -> None:
        if document_id is None or not sender or document_id.is_sent_by(sender):
            return
        self._add(
            code,
            f"{name} {document_id} names {document_id.sender} as its sender, but {sender_label} is "
            f"{sender}. A DocumentId starts with the code of the agency that sent the document.",
            self._one(parent, name),
        )

    def _check_reference(
        self,
        parent: etree._Element,
        name: str,
        document_id: DocumentId | None,
        sender: str,
        sender_label: str,
    ) -> None:
        """The same check on a DocumentId naming another document: a finding (codes change,
        numbers stay)."""
        self._check_sender(
            parent, name, document_id, sender, sender_label,
            ProblemCode.REFERENCED_DOCUMENT_ID_SENDER_MISMATCH,
        )  # fmt: skip

    def _enum(
        self,
        parent: etree._Element,
        name: str,
        kind: type[E],
        code: ProblemCode,
        *,
        required: bool,
        missing: ProblemCode = ProblemCode.MISSING_ELEMENT,
    ) -> E | None:
        allowed = ", ".join(str(member.value) for member in kind)
        found = self._text_of(
            parent, name, f"one of {allowed}", missing=missing if required else None
        )
        if found is None:
            return None
        element, text = found
        try:
            return kind(text)
        except ValueError:
            message = f"{name} {text!r} is not defined by QCVN 102:2016; use one of {allowed}."
            self._add(code, message, element)
            return None

    def _amount(self, parent: etree._Element, name: str) -> int | None:
        element = self._one(parent, name)
        text = _text(element)
        if not text:
            return None
        if not _AMOUNT.fullmatch(text):
            self._add(ProblemCode.BAD_VALUE, f"{name} {text!r} is not a whole number.", element)
            return None
        return int(text)

    def _flag(self, parent: etree._Element, name: str) -> bool:
        element = self._one(parent, name)
        text = _text(element).lower()
        if text in _TRUE:
            return True
        if text not in _FALSE:
            self._add(
                ProblemCode.BAD_VALUE, f"{name} {text!r} is not true, false, 1 or 0.", element
            )
        return False

    # -- elements ---------------------------------------------------------------------------

    def _group(self, element: etree._Element | None, group: type[G]) -> G:
        """A text group (see text_groups) read from `element`; all empty when it is absent."""
        if element is None:
            return group()
        return group(
            **{attr: self._child_text(element, name) for attr, name in text_elements(group)}
        )

    def _texts(self, parent: etree._Element | None, name: str) -> tuple[str, ...]:
        return tuple(_text(child) for child in self._children(parent, name))

    def _child_text(self, parent: etree._Element, name: str) -> str:
        return _text(self._one(parent, name))

    def _required_text(
        self,
        parent: etree._Element,
        name: str,
        what: str,
        missing: ProblemCode = ProblemCode.MISSING_ELEMENT,
    ) -> str:
        element = self._require(parent, name, what, missing)
        text = _text(element)
        if element is not None and not text:
            self._missing_or_empty(parent, name, what, missing)
        return text

    def _children(self, parent: etree._Element | None, name: str) -> list[etree._Element]:
        return [] if parent is None else [child for child in parent if child.tag == name]

    def _one(self, parent: etree._Element | None, name: str) -> etree._Element | None:
        found = self._children(parent, name)
        for extra in found[1:]:
            where = parent.tag if parent is not None else ""
            if name in _READ_ONCE:
                self._add(
                    ProblemCode.UNEXPECTED_ELEMENT,
                    f"{name} appears {len(found)} times in {where}; only one is allowed, since "
                    "routing reads it. Remove the extra ones.",
                    extra,
                )
            else:
                self._add(
                    ProblemCode.REPEATED_ELEMENT,
                    f"{name} appears {len(found)} times in {where}; QCVN 102 has one. The "
                    "first is read.",
                    extra,
                )
        return found[0] if found else None

    def _require(
        self,
        parent: etree._Element | None,
        name: str,
        what: str,
        missing: ProblemCode = ProblemCode.MISSING_ELEMENT,
    ) -> etree._Element | None:
        element = self._one(parent, name)
        if element is None and parent is not None:
            self._missing(parent, name, what, missing)
        return element

    def _wanted(self, parent: etree._Element, name: str, what: str) -> etree._Element | None:
        """An element QCVN 102 asks for and the node does not need: its absence is a finding."""
        return self._require(parent, name, what, _MISSING_INFORMATION)

    def _missing(
        self,
        parent: etree._Element,
        name: str,
        what: str,
        missing: ProblemCode = ProblemCode.MISSING_ELEMENT,
    ) -> None:
        self._add(
            missing,
            f"{parent.tag} has no {name}; {_REQUIRED[missing]} ({what}).",
            parent,
            child=name,
        )

    def _missing_or_empty(
        self,
        parent: etree._Element,
        name: str,
        what: str,
        missing: ProblemCode = ProblemCode.MISSING_ELEMENT,
    ) -> None:
        element = self._one(parent, name)
        if element is None:
            self._missing(parent, name, what, missing)
            return
        self._add(missing, f"{name} is empty; {_REQUIRED[missing]} ({what}).", element)

    def _add(
        self, code: ProblemCode, message: str, element: etree._Element | None, child: str = ""
    ) -> None:
        finding = Finding(code, message, element, child)
        if finding not in self._reported:  # the same element may be looked up more than once
            self._reported.add(finding)
            self.findings.append(finding)


_MISSING_INFORMATION = ProblemCode.MISSING_INFORMATION
_REQUIRED = {
    ProblemCode.MISSING_ELEMENT: "it is required",
    ProblemCode.MISSING_INFORMATION: "QCVN 102 asks for it, though the packet is routed without",
    ProblemCode.RECEIVER_INVALID: "it is required",
}


def _text(element: etree._Element | None) -> str:
    if element is None:
        return ""
    return (element.text or "").strip()
