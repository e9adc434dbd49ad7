"""Dates and timestamps in both written forms, in Vietnam time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from envelopes.dates import (
    VIETNAM_TIME,
    DateFormatError,
    format_date,
    format_timestamp,
    parse_date,
    parse_timestamp,
)


@pytest.mark.parametrize("text", ["2025/07/02", "02/07/2025", "2/7/2025", " 2025/7/2 "])
def test_both_date_forms_are_read(text: str) -> None:
    assert parse_date(text) == date(2025, 7, 2)


@pytest.mark.parametrize("text", ["", "2025-07-02", "2025/13/01", "31/02/2025", "25/07/02", "x"])
def test_bad_dates_are_refused(text: str) -> None:
    with pytest.raises(DateFormatError):
        parse_date(text)


def test_dates_are_written_in_the_standard_form() -> None:
    assert format_date(date(2025, 7, 2)) == "2025/07/02"


def test_timestamps_are_vietnam_time() -> None:
    moment = parse_timestamp("2025/07/02 14:05:11")
    assert moment.tzinfo is VIETNAM_TIME
    assert moment == datetime(2025, 7, 2, 7, 5, 11, tzinfo=UTC)
    assert parse_timestamp("02/07/2025 14:05") == datetime(2025, 7, 2, 14, 5, tzinfo=VIETNAM_TIME)


def test_timestamps_are_written_in_vietnam_time_whatever_their_zone() -> None:
    assert format_timestamp(datetime(2025, 7, 2, 20, 0, 1, tzinfo=UTC)) == "2025/07/03 03:00:01"


@pytest.mark.parametrize("text", ["2025/07/02", "2025/07/02 25:00:00", "2025/07/02 noon"])
def test_bad_timestamps_are_refused(text: str) -> None:
    with pytest.raises(DateFormatError):
        parse_timestamp(text)


def test_naive_timestamps_cannot_be_written() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        format_timestamp(datetime(2025, 7, 2, 14, 5, 11))
