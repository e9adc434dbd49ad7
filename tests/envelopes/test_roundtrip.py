"""Property: parsing what the writer wrote gives back the same packet (documents and statuses)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envelopes.attachments import Attachment, AttachmentContent
from envelopes.codes import BusinessDocType, Priority, ReceiverType, StatusCode
from envelopes.dates import VIETNAM_TIME
from envelopes.document_id import DocumentId
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
from envelopes.parsing import parse_packet
from envelopes.writing import to_bytes

VIETNAMESE = [
    "Văn phòng Chính phủ",
    "Sở Khoa học và Công nghệ tỉnh Tây Ninh",
    "Báo cáo tình hình vận hành hệ thống",
    "Đã tiếp nhận văn bản",
    "Công văn",
    "Phó Giám đốc",
    "Nguyễn Thị Ánh Tuyết",
    "Cong van khong dau",
]
xml_characters = st.characters(
    codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff"
) | st.sampled_from("\t\n\r&<>\"'")
texts = st.one_of(st.sampled_from(VIETNAMESE), st.text(xml_characters, max_size=40)).map(str.strip)
required_texts = texts.filter(bool)
codes = st.from_regex(r"[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}", fullmatch=True)
days = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
moments = st.builds(
    lambda moment, zone: moment.replace(microsecond=0, tzinfo=zone),
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)),
    st.sampled_from([VIETNAM_TIME, UTC, timezone(timedelta(hours=-5))]),
)
numbers = st.from_regex(r"[0-9]{1,5}", fullmatch=True)
notations = st.from_regex(r"[A-ZĐ][A-ZĐ0-9\-]{0,10}(/[A-Z]{1,4})?", fullmatch=True)


def organizations(code: st.SearchStrategy[str] = codes) -> st.SearchStrategy[Organization]:
    return st.builds(
        Organization,
        organ_id=code,
        organization_in_charge=texts,
        organ_name=texts,
        organ_add=texts,
        email=texts,
        telephone=texts,
        fax=texts,
        website=texts,
    )


def document_ids(sender: str) -> st.SearchStrategy[DocumentId]:
    return st.builds(DocumentId, st.just(sender), days, numbers, notations)


staff = st.builds(StaffInfo, texts, texts, texts, texts)


@st.composite
def responses(draw: st.DrawFn) -> ResponseFor:
    organ_id = draw(codes)
    return ResponseFor(
        organ_id=organ_id,
        document_id=draw(document_ids(organ_id)),
        code=Code(
            draw(st.from_regex(r"[0-9]{0,5}", fullmatch=True)), draw(notations | st.just(""))
        ),
        day=draw(st.none() | days),
    )


@st.composite
def businesses(draw: st.DrawFn, sender: str) -> Business:
    doc_type = draw(st.sampled_from(BusinessDocType))
    is_new = doc_type is BusinessDocType.NEW
    document_id = draw(st.none() | document_ids(sender)) if is_new else draw(document_ids(sender))
    changes = None
    if doc_type is BusinessDocType.UPDATE:
        receivers = st.builds(Receiver, codes, st.sampled_from(ReceiverType))
        changes = DocumentChanges(
            document_info_changed=draw(st.booleans()),
            receivers_changed=draw(st.booleans()),
            receivers=tuple(draw(st.lists(receivers, max_size=3))),
        )
    replacements: tuple[ReplacementInfo, ...] = ()
    if doc_type is BusinessDocType.REPLACE:
        replacement = st.builds(
            ReplacementInfo, document_ids(sender), st.lists(codes, max_size=3).map(tuple)
        )
        replacements = tuple(draw(st.lists(replacement, min_size=1, max_size=2)))
    return Business(
        doc_type=doc_type,
        reason=draw(texts),
        document_id=document_id,
        paper=draw(st.booleans()),
        staff=draw(staff),
        changes=changes,
        replacements=replacements,
    )


@st.composite
def attachment_lists(draw: st.DrawFn) -> tuple[Attachment, ...]:
    contents = draw(st.lists(st.binary(max_size=300), max_size=3))
    return tuple(
        Attachment(
            content_id=f"cid:{index + 1}",
            name=draw(texts),
            description=draw(texts),
            content_type=draw(st.sampled_from(["application/pdf", "application/zip", ""])),
            content=AttachmentContent.from_bytes(content),
        )
        for index, content in enumerate(contents)
    )


@st.composite
def document_packets(draw: st.DrawFn) -> DocumentPacket:
    sender = draw(organizations())
    attachments = draw(attachment_lists())
    manifest = draw(st.permutations([a.reference for a in attachments]))
    return DocumentPacket(
        sender=sender,
        recipients=tuple(draw(st.lists(organizations(), min_size=1, max_size=4))),
        document_id=draw(document_ids(sender.organ_id)),
        code=Code(draw(numbers), draw(texts)),
        promulgation=PromulgationInfo(day=draw(days), place=draw(texts)),
        document_type=draw(st.builds(DocumentType, texts, texts, texts)),
        subject=draw(required_texts),
        content=draw(texts),
        signer=draw(st.builds(SignerInfo, texts, texts, texts)),
        due_date=draw(st.none() | days),
        other_info=OtherInfo(
            priority=draw(st.sampled_from(Priority)),
            sphere_of_promulgation=draw(texts),
            typer_notation=draw(texts),
            promulgation_amount=draw(st.none() | st.integers(0, 10**6)),
            page_amount=draw(st.none() | st.integers(0, 10**6)),
            direction=draw(st.booleans()),
            appendixes=tuple(draw(st.lists(texts, max_size=3))),
        ),
        response_for=tuple(draw(st.lists(responses(), max_size=2))),
        steering_type=draw(st.sampled_from(["", "0", "1"])),
        to_places=tuple(draw(st.lists(texts, max_size=3))),
        trace_headers=tuple(draw(st.lists(st.builds(TraceHeader, codes, moments), max_size=3))),
        business=draw(businesses(sender.organ_id)),
        manifest=tuple(manifest),
        attachments=attachments,
    )


status_packets = st.builds(
    StatusPacket,
    sender=organizations(),
    response_for=responses(),
    status_code=st.sampled_from(StatusCode),
    timestamp=moments,
    description=texts,
    staff=staff,
)


def _round_trip(packet: Packet) -> None:
    data = to_bytes(packet)
    parsed = parse_packet(data)
    assert parsed == packet
    assert parsed.raw == data


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(document_packets())
def test_document_packets_round_trip(packet: DocumentPacket) -> None:
    _round_trip(packet)


@settings(max_examples=100)
@given(status_packets)
def test_status_packets_round_trip(packet: StatusPacket) -> None:
    _round_trip(packet)
