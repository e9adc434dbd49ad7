"""What travels beside a delivery record, in Kafka record headers: its retry history.

The record itself (Avro) is what was submitted and never changes; the headers say how its
delivery went so far: how many attempts failed, the first and last error, when it is due again,
and where it first sat on the deliveries topic. A dead letter carries them all, so an operator
sees the whole story without searching logs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from routing.retry import Failure

Headers = Sequence[tuple[str, bytes]]

_FAILURES = "axis-failures"
_FIRST_FAILED_AT = "axis-first-failed-at"
_FIRST_ERROR = "axis-first-error"
_LAST_ERROR = "axis-last-error"
_ERROR_CLASS = "axis-error-class"
_DUE_AT = "axis-due-at"
_ORIGIN = "axis-origin"
_GIVE_UP = "axis-give-up"
_REPLAYED_BY = "axis-replayed-by"
_MAX_TEXT = 1000


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a record first sat on the deliveries topic."""

    topic: str
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"

    @classmethod
    def parse(cls, text: str) -> Origin:
        topic, partition, offset = text.rsplit(":", 2)
        return cls(topic, int(partition), int(offset))


@dataclass(frozen=True, slots=True)
class History:
    """The delivery history of one record (empty for a record never tried)."""

    failures: int = 0
    first_failed_at: datetime | None = None
    first_error: str | None = None
    last_error: str | None = None
    error_class: str | None = None
    due_at: datetime | None = None
    origin: Origin | None = None
    give_up: str | None = None
    replayed_by: str | None = None

    def failed(self, failure: Failure, at: datetime, origin: Origin) -> History:
        """The history after one more failed attempt, at `origin` unless it had one."""
        text = f"{failure.code}: {failure.message}"[:_MAX_TEXT]
        return replace(
            self,
            failures=self.failures + 1,
            first_failed_at=self.first_failed_at or at,
            first_error=self.first_error or text,
            last_error=text,
            error_class=failure.failure_class.value,
            origin=self.origin or origin,
        )

    def held_back(self, at: datetime, origin: Origin) -> History:
        """The history after a call held back by the endpoint's circuit breaker: not a failure
        (no call was made), but the horizon starts counting here if nothing failed before."""
        return replace(
            self, first_failed_at=self.first_failed_at or at, origin=self.origin or origin
        )

    def due(self, at: datetime | None) -> History:
        """The history with a new due time (None once it is due and forwarded)."""
        return replace(self, due_at=at)

    def given_up(self, reason: str) -> History:
        return replace(self, give_up=reason[:_MAX_TEXT], due_at=None)

    def replayed(self, by: str) -> History:
        """A fresh start for an operator's replay: the failures are forgotten, the origin and
        the fact of the replay are kept."""
        return History(origin=self.origin, replayed_by=by)

    def to_headers(self) -> list[tuple[str, bytes]]:
        values: dict[str, str | None] = {
            _FAILURES: str(self.failures) if self.failures else None,
            _FIRST_FAILED_AT: _time(self.first_failed_at),
            _FIRST_ERROR: self.first_error,
            _LAST_ERROR: self.last_error,
            _ERROR_CLASS: self.error_class,
            _DUE_AT: _time(self.due_at),
            _ORIGIN: str(self.origin) if self.origin else None,
            _GIVE_UP: self.give_up,
            _REPLAYED_BY: self.replayed_by,
        }
        return [(key, value.encode()) for key, value in values.items() if value is not None]

    @classmethod
    def from_headers(cls, headers: Headers | None) -> History:
        """The history in `headers`; unknown headers are ignored, unreadable ones dropped."""
        found = {key: value.decode("utf-8", "replace") for key, value in headers or ()}
        try:
            failures = int(found.get(_FAILURES, "0"))
        except ValueError:
            failures = 0
        origin = found.get(_ORIGIN)
        return cls(
            failures=failures,
            first_failed_at=_parse_time(found.get(_FIRST_FAILED_AT)),
            first_error=found.get(_FIRST_ERROR),
            last_error=found.get(_LAST_ERROR),
            error_class=found.get(_ERROR_CLASS),
            due_at=_parse_time(found.get(_DUE_AT)),
            origin=_parse_origin(origin) if origin else None,
            give_up=found.get(_GIVE_UP),
            replayed_by=found.get(_REPLAYED_BY),
        )


def _time(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _parse_origin(text: str) -> Origin | None:
    try:
        return Origin.parse(text)
    except ValueError:
        return None
