"""DocumentId: `{senderCode},{yyyy/MM/dd},{number}/{notation}` read and written."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envelopes.document_id import DocumentId, DocumentIdError


def test_parses_the_standard_example() -> None:
    document_id = DocumentId.parse("000.00.00.G22,2018/09/20,7816/VPCP-TTDT")
    assert document_id == DocumentId("000.00.00.G22", date(2018, 9, 20), "7816", "VPCP-TTDT")
    assert document_id.sender == "000.00.00.G22"
    assert document_id.code == "7816/VPCP-TTDT"
    assert document_id.is_sent_by("000.00.00.G22")
    assert not document_id.is_sent_by("000.00.12.H53")


def test_formats_back_to_the_same_text() -> None:
    text = "000.00.12.H53,2025/07/02,118/SKHCN-CDS"
    assert str(DocumentId.parse(text)) == text


def test_notation_may_contain_a_slash_and_vietnamese_letters() -> None:
    document_id = DocumentId.parse("000.00.12.H53,2025/01/05,12/QĐ-UBND/KH")
    assert (document_id.number, document_id.notation) == ("12", "QĐ-UBND/KH")


def test_formats_years_and_days_zero_padded() -> None:
    assert str(DocumentId("X1", date(987, 1, 2), "1", "A")) == "X1,0987/01/02,1/A"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "000.00.00.G22,2018/09/20",
        "000.00.00.G22,2018/09/20,7816/VPCP,extra",
        "000.00.00.G22,20/09/2018,7816/VPCP-TTDT",
        "000.00.00.G22,2018/02/30,7816/VPCP-TTDT",
        "000.00.00.G22,2018/9/20,7816/VPCP-TTDT",
        "000.00.00.G22,2018/09/20,7816",
        "000.00.00.G22,2018/09/20,/VPCP-TTDT",
        "000.00.00.G22,2018/09/20,7816/",
        ",2018/09/20,7816/VPCP-TTDT",
        "000.00 .00.G22,2018/09/20,7816/VPCP-TTDT",
    ],
)
def test_refuses_malformed_ids(text: str) -> None:
    with pytest.raises(DocumentIdError):
        DocumentId.parse(text)


def test_refuses_parts_that_would_not_parse_back() -> None:
    with pytest.raises(DocumentIdError):
        DocumentId("a,b", date(2020, 1, 1), "1", "X")
    with pytest.raises(DocumentIdError):
        DocumentId("a", date(2020, 1, 1), "1/2", "X")


codes = st.from_regex(r"[0-9A-Z][0-9A-Z.]{0,14}", fullmatch=True)
notations = st.from_regex(r"[A-ZĐƯƠ0-9][A-ZĐƯƠ0-9/\-]{0,12}", fullmatch=True)


@given(
    sender=codes,
    day=st.dates(min_value=date(1, 1, 1)),
    number=st.from_regex(r"[0-9]{1,6}[a-z]?", fullmatch=True),
    notation=notations,
)
def test_any_document_id_round_trips(sender: str, day: date, number: str, notation: str) -> None:
    document_id = DocumentId(sender, day, number, notation)
    assert DocumentId.parse(str(document_id)) == document_id
