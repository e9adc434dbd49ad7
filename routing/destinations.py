"""Where a recipient's deliveries go (its inbox or its endpoint), and when they must wait.

The registry says how each agency receives (`pull`: it polls its inbox on the node; `push`: the
node POSTs to its endpoint). The routing package reads that through the small `Directory`
protocol, so it does not depend on how the registry is stored.

Two things hold deliveries back without counting as failures of the packet:
- an operator *pause* of a destination (maintenance, a migration of the agency's system),
  stored in the database so every node honours it and audited by the caller;
- a *circuit breaker* per push endpoint: after several transient failures in a row the node
  stops calling the endpoint for a cool-down, then lets one trial call through.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Protocol

from sqlalchemy import Column, String, Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from routing.outcomes import Route, RouteOutcome
from routing.sql import UtcDateTime, insert_once, metadata


class DeliveryMode(str, Enum):
    PULL = "pull"
    PUSH = "push"


@dataclass(frozen=True, slots=True)
class Destination:
    code: str
    mode: DeliveryMode = DeliveryMode.PULL
    endpoint: str | None = None

    def __post_init__(self) -> None:
        if self.mode is DeliveryMode.PUSH and not self.endpoint:
            raise ValueError(f"{self.code} receives by push but has no endpoint")


class Directory(Protocol):
    """How the routing layer learns a recipient's delivery mode (implemented over the registry)."""

    def destination(self, code: str) -> Destination | None:
        """The destination of an active code, or None when the code cannot receive."""

    def route(self, code: str, *, at: datetime) -> Route:
        """Where a delivery to `code` goes at `at`: the code itself, the successor the
        registry names for a code closed since (`REDIRECTED`), or nowhere, with the reason."""

    def epoch(self) -> Hashable:
        """A value that changes whenever the answers may have changed: a new registry version,
        or a future-dated change taking effect."""


@dataclass(slots=True)
class StaticDirectory:
    """A directory from a fixed mapping; unknown codes receive by pull (tests, the demo)."""

    destinations: dict[str, Destination] = field(default_factory=dict)
    default_pull: bool = True

    def destination(self, code: str) -> Destination | None:
        found = self.destinations.get(code)
        if found is None and self.default_pull:
            return Destination(code)
        return found

    def epoch(self) -> Hashable:
        return 0  # a fixed mapping never changes

    def route(self, code: str, *, at: datetime) -> Route:
        if self.destination(code) is not None:
            return Route(code, RouteOutcome.ROUTED, code)
        return Route(
            code, RouteOutcome.REJECTED, reason_code="RECIPIENT_CANNOT_RECEIVE",
            reason=f"{code} is not an active code that can receive documents.",
        )  # fmt: skip


paused_destinations = Table(
    "paused_destinations",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("paused_by", String(200), nullable=False),
    Column("paused_at", UtcDateTime(), nullable=False),
    Column("reason", String(500), nullable=False),
)


@dataclass(frozen=True, slots=True)
class Pause:
    code: str
    paused_by: str
    paused_at: datetime
    reason: str


class Pauses:
    """Operator pauses of destinations, shared by every node through the database."""

    async def pause(
        self, session: AsyncSession, code: str, *, by: str, at: datetime, reason: str
    ) -> bool:
        """Pause deliveries to `code`; False if it was paused already."""
        statement = insert_once(session, paused_destinations, "code").values(
            code=code, paused_by=by, paused_at=at, reason=reason
        )
        return bool(getattr(await session.execute(statement), "rowcount", 0))

    async def resume(self, session: AsyncSession, code: str) -> bool:
        """Resume deliveries to `code`; False if it was not paused."""
        result = await session.execute(
            delete(paused_destinations).where(paused_destinations.c.code == code)
        )
        return bool(getattr(result, "rowcount", 0))

    async def all(self, session: AsyncSession) -> list[Pause]:
        rows = await session.execute(select(paused_destinations).order_by("code"))
        return [Pause(**row._mapping) for row in rows]

    async def paused_codes(self, session: AsyncSession) -> frozenset[str]:
        rows = await session.execute(select(paused_destinations.c.code))
        return frozenset(rows.scalars())


class BreakerState(str, Enum):
    CLOSED = "closed"
    """Calls go through."""
    OPEN = "open"
    """Calls are held back until the cool-down ends."""
    HALF_OPEN = "half_open"
    """The cool-down ended: one trial call decides."""


@dataclass(slots=True)
class CircuitBreaker:
    """One push endpoint's breaker (pure: the caller passes the time)."""

    threshold: int = 5
    """Transient failures in a row that open the breaker."""
    cool_down: timedelta = timedelta(seconds=60)
    failures: int = 0
    opened_at: datetime | None = None

    def state(self, now: datetime) -> BreakerState:
        if self.opened_at is None:
            return BreakerState.CLOSED
        if now - self.opened_at >= self.cool_down:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def allows(self, now: datetime) -> bool:
        """May a call go to the endpoint now? In half-open, the trial call re-arms the timer so
        that only one call tries while its answer is awaited."""
        state = self.state(now)
        if state is BreakerState.HALF_OPEN:
            self.opened_at = now
            return True
        return state is BreakerState.CLOSED

    def remaining(self, now: datetime) -> timedelta:
        """How long calls are still held back (zero unless open)."""
        if self.opened_at is None:
            return timedelta(0)
        return max(timedelta(0), self.opened_at + self.cool_down - now)

    def succeeded(self) -> None:
        self.failures = 0
        self.opened_at = None

    def failed(self, now: datetime) -> None:
        self.failures += 1
        if self.failures >= self.threshold:
            self.opened_at = now


@dataclass(slots=True)
class Breakers:
    """A breaker per endpoint, made on first use."""

    threshold: int = 5
    cool_down: timedelta = timedelta(seconds=60)
    _by_endpoint: dict[str, CircuitBreaker] = field(default_factory=dict)

    def for_endpoint(self, endpoint: str) -> CircuitBreaker:
        breaker = self._by_endpoint.get(endpoint)
        if breaker is None:
            breaker = CircuitBreaker(self.threshold, self.cool_down)
            self._by_endpoint[endpoint] = breaker
        return breaker
