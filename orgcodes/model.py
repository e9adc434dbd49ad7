"""The units of the registry: what a unit is at one time, and its whole history."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum

VIETNAM = timezone(timedelta(hours=7), "ICT")
"""The zone the registry's dates are told in to people (effective times are stored in UTC)."""


def local_date(moment: datetime) -> str:
    """`moment` as a date in Vietnam (a change effective 2025-07-01T00:00+07:00 is 2025-07-01)."""
    return f"{moment.astimezone(VIETNAM):%Y-%m-%d}"


def local_time(moment: datetime) -> str:
    """`yyyy-MM-dd HH:mm:ss` in Vietnam's time, the form the national SDK's callers read (a
    naive `moment` is taken as UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f"{aware.astimezone(VIETNAM):%Y-%m-%d %H:%M:%S}"


def to_ms(moment: datetime) -> int:
    """`moment` as epoch milliseconds (how the store and snapshots keep times)."""
    return int(moment.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    """Epoch milliseconds back to an aware UTC time."""
    return datetime.fromtimestamp(ms / 1000, UTC)


class UnitStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class DeliveryMode(StrEnum):
    """How a unit receives: `pull` (it polls its inbox on a node) or `push` (a node POSTs)."""

    PULL = "pull"
    PUSH = "push"


@dataclass(frozen=True, slots=True)
class Contact:
    email: str | None = None
    phone: str | None = None
    fax: str | None = None
    address: str | None = None


NO_CONTACT = Contact()


@dataclass(frozen=True, slots=True)
class UnitState:
    """A unit as it stood from `since` until `until` (open-ended when None).

    A closed unit has one last, open-ended state with status `closed` and its successors (none
    when it was closed outright). `version` is the registry version that wrote this state.
    """

    code: str
    name: str
    parent: str | None
    level: int
    status: UnitStatus
    since: datetime
    until: datetime | None
    version: int
    alt_code: str | None = None
    successors: tuple[str, ...] = ()
    old_codes: tuple[str, ...] = ()
    home_axis: str | None = None
    delivery_mode: DeliveryMode = DeliveryMode.PULL
    endpoint: str | None = None
    contact: Contact = field(default=NO_CONTACT)

    @property
    def active(self) -> bool:
        return self.status is UnitStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class UnitHistory:
    """Every state a code has had, oldest first, consecutive, the last one open-ended.

    A code belongs to one unit for ever: it is never reused for another (the registry refuses).
    """

    code: str
    states: tuple[UnitState, ...]

    @property
    def current(self) -> UnitState:
        """The latest state (which may take effect in the future)."""
        return self.states[-1]

    @property
    def valid_from(self) -> datetime:
        return self.states[0].since

    @property
    def valid_to(self) -> datetime | None:
        """When the unit was closed, or None while it is active."""
        last = self.states[-1]
        return None if last.active else last.since

    def at(self, when: datetime) -> UnitState | None:
        """The state in force at `when`, or None before the unit existed."""
        states = self.states
        if len(states) == 1:
            return states[0] if states[0].since <= when else None
        index = bisect_right([state.since for state in states], when) - 1
        return states[index] if index >= 0 else None
