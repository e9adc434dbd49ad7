"""Dates and timestamps as edXML writes them: `yyyy/MM/dd`, `yyyy/MM/dd HH:mm:ss`, Vietnam time."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")
"""Indochina Time (UTC+7): every edXML timestamp is written in it."""

_DATE = re.compile(
    r"(?:(?P<y1>\d{4})/(?P<m1>\d{1,2})/(?P<d1>\d{1,2})|(?P<d2>\d{1,2})/(?P<m2>\d{1,2})/(?P<y2>\d{4}))"
)
_TIME = re.compile(r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?")


class DateFormatError(ValueError):
    """A text that is not an edXML date or timestamp."""


def parse_date(text: str) -> date:
    """Read `yyyy/MM/dd` (the standard) or `dd/MM/yyyy` (seen in real PromulgationDate values)."""
    match = _DATE.fullmatch(text.strip())
    if match is None:
        raise DateFormatError(f"{text!r} is not a date written yyyy/MM/dd or dd/MM/yyyy")
    year, month, day = (
        (match["y1"], match["m1"], match["d1"])
        if match["y1"]
        else (match["y2"], match["m2"], match["d2"])
    )
    try:
        return date(int(year), int(month), int(day))
    except ValueError as error:
        raise DateFormatError(f"{text!r} is not a real calendar date ({error})") from error


def parse_timestamp(text: str) -> datetime:
    """Read `yyyy/MM/dd HH:mm:ss` (either date form, seconds optional) as Vietnam time."""
    day_text, _, time_text = text.strip().partition(" ")
    day = parse_date(day_text)
    match = _TIME.fullmatch(time_text.strip())
    if match is None:
        raise DateFormatError(f"{text!r} is not a timestamp written yyyy/MM/dd HH:mm:ss")
    try:
        clock = time(int(match["h"]), int(match["mi"]), int(match["s"] or 0))
    except ValueError as error:
        raise DateFormatError(f"{text!r} is not a real time of day ({error})") from error
    return datetime.combine(day, clock, VIETNAM_TIME)


def format_date(day: date) -> str:
    """Write the standard form `yyyy/MM/dd` (zero-padded whatever the year)."""
    return f"{day.year:04d}/{day.month:02d}/{day.day:02d}"


def format_timestamp(moment: datetime) -> str:
    """Write `yyyy/MM/dd HH:mm:ss` in Vietnam time; sub-second precision is not part of edXML."""
    if moment.tzinfo is None:
        raise ValueError("an edXML timestamp needs a timezone-aware datetime")
    local = moment.astimezone(VIETNAM_TIME)
    return f"{format_date(local.date())} {local:%H:%M:%S}"


def require_aware(moment: datetime, what: str) -> None:
    """Refuse a naive datetime: edXML times are instants, and a naive one has no instant."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, got {moment!r}")
