"""Reading the model out of a normalized packet tree: typed values, and every problem with them
(required elements by packet kind, dates, DocumentIds, codes, manifest against attachments)."""

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


def read_packet(scanned: ScannedPacket, raw: bytes) -> tuple[Packet | None, list[Finding]]:
    """The packet in a normalized tree, or None and the findings that prevent building it."""
    reader = _Reader(scanned.contents)
    packet = reader.packet(scanned.root, raw)
    return (None if reader.findings else packet), reader.findings


class _Reader:
    """Walks the tree once, collecting findings instead of stopping at the first."""

    def __init__(self, contents: dict[etree._Element, AttachmentContent]) -> None:
        self._contents = contents
        self.findings: list[Finding] = []
        self._reported: set[Finding] = set()

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
        code_element = self._require(message, "Code", "the document's number and notation")
        promulgation = self._promulgation(
            self._require(message, "PromulgationInfo", "the promulgation date")
        )
        document_type = self._group(
            self._require(message, "DocumentType", "the kind of document"), DocumentType
        )
        subject = self._required_text(message, "Subject", "the subject of the document")
        trace_list = self._one(header, "TraceHeaderList")
        business = self._business(trace_list, sender.organ_id)
        trace_headers = tuple(
            self._trace_header(element) for element in self._children(trace_list, "TraceHeader")
        )
        response_for = tuple(
            self._response_for(element) for element in self._children(message, "ResponseFor")
        )
        manifest, attachments = self._attachments(root, envelope)
        code = self._group(code_element, Code)
        content = self._child_text(message, "Content")
        signer = self._group(self._one(message, "SignerInfo"), SignerInfo)
        due_date = self._date(message, "DueDate", required=False)
        other_info = self._other_info(self._one(message, "OtherInfo"))
        steering_type = self._child_text(message, "SteeringType")
        to_places = self._texts(self._one(message, "ToPlaces"), "Place")
        if self.findings or document_id is None or promulgation is None:
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
            response_for=tuple(r for r in response_for if r is not None),
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
        response_for = (
            self._response_for(response_element) if response_element is not None else None
        )
        status_code = self._enum(
            message, "StatusCode", StatusCode, ProblemCode.UNKNOWN_STATUS_CODE, required=True
        )
        timestamp = self._timestamp(message, "Timestamp")
        staff = self._group(self._one(message, "StaffInfo"), StaffInfo)
        description = self._child_text(message, "Description")
        if self.findings or response_for is None or status_code is None or timestamp is None:
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
        day = self._date(element, "PromulgationDate", required=True)
        place = self._child_text(element, "Place")
        return PromulgationInfo(day=day, place=place) if day is not None else None

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

    def _response_for(self, element: etree._Element) -> ResponseFor | None:
        organ_id = self._required_text(element, "OrganId", "the code of the agency that sent it")
        document_id = self._document_id(element, "DocumentId", required=True)
        self._check_sender(element, "DocumentId", document_id, organ_id, "ResponseFor/OrganId")
        day = self._date(element, "PromulgationDate", required=False)
        if document_id is None:
            return None
        return ResponseFor(
            organ_id=organ_id,
            document_id=document_id,
            code=Code.parse(self._child_text(element, "Code")),
            day=day,
        )

    def _trace_header(self, element: etree._Element) -> TraceHeader | None:
        organ_id = self._required_text(element, "OrganId", "the code of the agency of this hop")
        timestamp = self._timestamp(element, "Timestamp")
        return TraceHeader(organ_id, timestamp) if timestamp is not None else None

    def _business(self, trace_list: etree._Element | None, sender: str) -> Business:
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
        acts_on_earlier = doc_type is not BusinessDocType.NEW
        document_id = self._document_id(element, "DocumentId", required=acts_on_earlier)
        self._check_sender(element, "DocumentId", document_id, sender, "From/OrganId")
        replacement_list = self._one(element, "ReplacementInfoList")
        if doc_type is BusinessDocType.REPLACE and replacement_list is None:
            self._missing(element, "ReplacementInfoList", "the documents this one replaces")
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
        organ_id = self._required_text(element, "OrganId", "the recipient added or removed")
        kind = self._enum(
            element, "ReceiverType", ReceiverType, ProblemCode.BAD_VALUE, required=True
        )
        return Receiver(organ_id, kind) if kind is not None else None

    def _replacement(self, element: etree._Element) -> ReplacementInfo | None:
        document_id = self._document_id(element, "DocumentId", required=True)
        organ_ids = self._texts(self._one(element, "OrganIdList"), "OrganId")
        return ReplacementInfo(document_id, organ_ids) if document_id is not None else None

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

    def _date(self, parent: etree._Element, name: str, *, required: bool) -> date | None:
        return self._value(parent, name, parse_date, required=required, example="2025/07/02")

    def _timestamp(self, parent: etree._Element, name: str) -> datetime | None:
        return self._value(
            parent, name, parse_timestamp, required=True, example="2025/07/02 14:05:11"
        )

    def _value(
        self,
        parent: etree._Element,
        name: str,
        parse: Callable[[str], G],
        *,
        required: bool,
        example: str,
    ) -> G | None:
        found = self._text_of(parent, name, f"a date such as {example}", required=required)
        if found is None:
            return None
        element, text = found
        try:
            return parse(text)
        except DateFormatError as error:
            self._add(ProblemCode.BAD_DATE, f"{name}: {error}; write it like {example}.", element)
            return None

    def _text_of(
        self, parent: etree._Element, name: str, expected: str, *, required: bool
    ) -> tuple[etree._Element, str] | None:
        """The child `name` and its text, or None (reported when `required`) when it is absent
        or empty; `expected` says what the text should be, for the problem's sentence."""
        element = self._require(parent, name, expected) if required else self._one(parent, name)
        text = _text(element)
        if element is None or not text:
            if element is not None and required:
                self._missing_or_empty(parent, name, expected)
            return None
        return element, text

    def _document_id(
        self, parent: etree._Element, name: str, *, required: bool
    ) -> DocumentId | None:
        what = "the DocumentId ({senderCode},{yyyy/MM/dd},{number}/{notation})"
        found = self._text_of(parent, name, what, required=required)
        if found is None:
            return None
        element, text = found
        try:
            return DocumentId.parse(text)
        except DocumentIdError as error:
            self._add(
                ProblemCode.DOCUMENT_ID_INVALID,
                f"{name} is not a valid DocumentId: {error}. "
                "Expected e.g. 000.00.00.G22,2018/09/20,7816/VPCP-TTDT.",
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
    ) -> None:
        if document_id is None or not sender or document_id.is_sent_by(sender):
            return
        self._add(
            ProblemCode.DOCUMENT_ID_SENDER_MISMATCH,
            f"{name} {document_id} names {document_id.sender} as its sender, but {sender_label} is "
            f"{sender}. A DocumentId starts with the code of the agency that sent the document.",
            self._one(parent, name),
        )

    def _enum(
        self,
        parent: etree._Element,
        name: str,
        kind: type[E],
        code: ProblemCode,
        *,
        required: bool,
    ) -> E | None:
        allowed = ", ".join(str(member.value) for member in kind)
        found = self._text_of(parent, name, f"one of {allowed}", required=required)
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

    def _required_text(self, parent: etree._Element, name: str, what: str) -> str:
        element = self._require(parent, name, what)
        text = _text(element)
        if element is not None and not text:
            self._missing_or_empty(parent, name, what)
        return text

    def _children(self, parent: etree._Element | None, name: str) -> list[etree._Element]:
        return [] if parent is None else [child for child in parent if child.tag == name]

    def _one(self, parent: etree._Element | None, name: str) -> etree._Element | None:
        found = self._children(parent, name)
        for extra in found[1:]:
            self._add(
                ProblemCode.UNEXPECTED_ELEMENT,
                f"{name} appears {len(found)} times in {parent.tag if parent is not None else ''}; "
                "only one is allowed. Remove the extra ones.",
                extra,
            )
        return found[0] if found else None

    def _require(
        self, parent: etree._Element | None, name: str, what: str
    ) -> etree._Element | None:
        element = self._one(parent, name)
        if element is None and parent is not None:
            self._missing(parent, name, what)
        return element

    def _missing(self, parent: etree._Element, name: str, what: str) -> None:
        self._add(
            ProblemCode.MISSING_ELEMENT,
            f"{parent.tag} has no {name}; it is required ({what}).",
            parent,
            child=name,
        )

    def _missing_or_empty(self, parent: etree._Element, name: str, what: str) -> None:
        element = self._one(parent, name)
        if element is None:
            self._missing(parent, name, what)
            return
        self._add(
            ProblemCode.MISSING_ELEMENT, f"{name} is empty; it is required ({what}).", element
        )

    def _add(
        self, code: ProblemCode, message: str, element: etree._Element | None, child: str = ""
    ) -> None:
        finding = Finding(code, message, element, child)
        if finding not in self._reported:  # the same element may be looked up more than once
            self._reported.add(finding)
            self.findings.append(finding)


def _text(element: etree._Element | None) -> str:
    if element is None:
        return ""
    return (element.text or "").strip()
