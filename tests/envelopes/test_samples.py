"""The shared samples (copied into tests/fixtures/edxml) parse into the packets they describe."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from envelopes.codes import BusinessDocType, Priority, StatusCode
from envelopes.model import DocumentPacket, StatusPacket
from envelopes.parsing import parse_packet, validate
from tests.envelopes.fixture_files import SAMPLES, sample

_ENCODED = re.compile(r"<(?:\w+:)?ContentTransferEncoded[^>]*>([^<]*)</", re.S)


def _document(name: str) -> DocumentPacket:
    packet = parse_packet(sample(name))
    assert isinstance(packet, DocumentPacket)
    return packet


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_sample_validates(path: Path) -> None:
    assert validate(path.read_bytes()) == []


def test_there_are_five_samples() -> None:
    assert len(SAMPLES) == 5


def test_new_document_has_its_recipients_types_and_details() -> None:
    packet = _document("document-new.edxml")
    assert packet.sender_code == "000.00.12.H53"
    assert packet.recipient_codes == ("000.00.00.G22", "000.00.00.H41")
    assert str(packet.document_id) == "000.00.12.H53,2025/07/02,118/SKHCN-CDS"
    assert packet.document_id.sender == packet.sender_code
    assert packet.business_type is BusinessDocType.NEW
    assert packet.other_info.priority is Priority.URGENT
    assert packet.other_info.page_amount == 2
    assert packet.other_info.direction is False
    assert packet.other_info.appendixes == ("Phụ lục số liệu",)
    assert packet.due_date == date(2025, 7, 10)
    assert packet.document_type.type_name == "Công văn"
    assert packet.signer.full_name == "Trần Văn Minh"
    assert packet.to_places == ("Văn phòng Chính phủ", "UBND tỉnh Nghệ An")
    assert packet.business.staff.staff == "Lê Thị Hoa"
    assert packet.signature_present is False


@pytest.mark.parametrize(
    "path", [p for p in SAMPLES if "status" not in p.name], ids=lambda p: p.name
)
def test_attachment_size_and_hash_match_the_base64_in_the_file(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    expected = [base64.b64decode("".join(m.split())) for m in _ENCODED.findall(text)]
    packet = parse_packet(path.read_bytes())
    assert isinstance(packet, DocumentPacket)
    assert [(a.size, a.sha256) for a in packet.attachments] == [
        (len(data), hashlib.sha256(data).hexdigest()) for data in expected
    ]
    assert packet.attachments[0].content.read_all() == expected[0]
    assert [r.content_id for r in packet.manifest] == ["cid:1"]


def test_legacy_quirks_parse_with_a_signature_and_lenient_forms() -> None:
    packet = _document("legacy-quirks.edxml")
    assert packet.signature_present is True
    assert packet.promulgation.day == date(2025, 7, 2)  # written 02/07/2025
    assert packet.subject.startswith("Báo cáo tình hình")  # written without the prefix
    assert packet.signer.full_name == ""  # empty SignerInfo children


def test_revoke_names_the_document_it_withdraws() -> None:
    packet = _document("revoke.edxml")
    assert packet.business_type is BusinessDocType.REVOKE
    assert str(packet.document_id) == "000.00.12.H53,2025/07/03,121/SKHCN-CDS"
    assert packet.business.document_id is not None
    assert packet.business.document_id.code == "118/SKHCN-CDS"
    assert packet.business.reason == "Thu hồi do sai số liệu"


def test_update_lists_added_and_removed_recipients() -> None:
    packet = _document("update-recipients.edxml")
    assert packet.business_type is BusinessDocType.UPDATE
    assert packet.business.changes is not None
    assert packet.business.changes.receivers_changed is True
    assert packet.business.changes.document_info_changed is False
    assert packet.business.removed_recipients == ("000.00.00.H41",)
    assert packet.business.added_recipients == ("000.00.00.H49",)


def test_status_packet_reports_on_the_original_document() -> None:
    packet = parse_packet(sample("status-03-accepted.edxml"))
    assert isinstance(packet, StatusPacket)
    assert packet.sender_code == "000.00.00.H41"
    assert packet.status_code is StatusCode.ACCEPTED
    assert str(packet.original_document_id) == "000.00.12.H53,2025/07/02,118/SKHCN-CDS"
    assert str(packet.response_for.code) == "118/SKHCN-CDS"
    assert packet.timestamp == datetime(2025, 7, 2, 7, 5, 11, tzinfo=UTC)  # 14:05:11 UTC+7
    assert packet.staff.mobile == "84900000001"
    assert packet.description == "Đã tiếp nhận văn bản"


def test_the_packet_keeps_the_very_bytes_it_was_parsed_from() -> None:
    data = sample("legacy-quirks.edxml")
    assert parse_packet(data).raw is data
