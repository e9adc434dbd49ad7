"""Routes and destinations answered by the registry of organization codes.

The submission service asks where an addressed code is delivered (`RecipientResolver`), the
delivery worker how a recipient receives (`Directory`); both are answered here from the node's
registry as it stood at the given time. The registry source is read on every call, so a node
that refreshes its copy (a follower applying a new version) routes by the new version at once.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Protocol

from orgcodes.model import DeliveryMode as UnitDeliveryMode
from orgcodes.resolver import Outcome, Resolution
from routing.clock import utc_now
from routing.destinations import DeliveryMode, Destination
from routing.outcomes import REGISTRY_STALE, Route, RouteOutcome


class RegistrySource(Protocol):
    """What answers a code at a time (`orgcodes.service.RegistryService` and
    `orgcodes.resolver.Resolver` both do)."""

    def resolve(self, code: str, at: datetime | None = None) -> Resolution: ...


class RegistryRoutes:
    """`RecipientResolver` and `Directory` over the registry."""

    def __init__(
        self,
        source: RegistrySource,
        *,
        clock: Callable[[], datetime] = utc_now,
        stale: Callable[[], str | None] = lambda: None,
        in_force: Callable[[datetime], Hashable] | None = None,
    ):
        self._source = source
        self._clock = clock
        self._in_force = in_force
        """What the answers at a time depend on (`orgcodes.registry.Registry.in_force`); None
        for a source that never changes (one registry version's resolver)."""
        self._stale = stale
        """Why the registry may no longer be trusted for a final answer (the authority not heard
        of past the hard limit, `orgcodes.heartbeat`), or None."""

    def epoch(self) -> Hashable:
        """Changes with a new registry version, and when a future-dated change takes effect."""
        return None if self._in_force is None else self._in_force(self._clock())

    def route(self, code: str, *, at: datetime) -> Route:
        """Active: routed to the code itself; closed with one successor: redirected along the
        chain; split, closed for good or unknown: rejected with the registry's reason."""
        found = self._source.resolve(code, at)
        if found.outcome is Outcome.ACTIVE and found.target is not None:
            return Route(code, RouteOutcome.ROUTED, found.target, registry_version=found.version)
        if found.outcome is Outcome.REDIRECTED and found.target is not None:
            return Route(
                code, RouteOutcome.REDIRECTED, found.target, found.chain,
                registry_version=found.version,
            )  # fmt: skip
        stale = self._stale()
        if stale is not None:  # the answer may have changed since: no final "no" on it
            return Route(
                code, RouteOutcome.REJECTED, chain=found.chain, reason_code=REGISTRY_STALE,
                reason=stale,
                registry_version=found.version,
            )  # fmt: skip
        return Route(
            code,
            RouteOutcome.REJECTED,
            chain=found.chain,
            reason_code=found.reason_code or "REGISTRY_UNKNOWN_CODE",
            reason=found.reason or f"{code} cannot receive documents",
            registry_version=found.version,
        )

    def destination(self, code: str) -> Destination | None:
        """How `code` receives now, from its registry entry; None unless it is an active unit.

        A unit that closed after a packet was routed to it is not followed to its successor
        here: the delivery worker asks `route` where the delivery goes on (the successor, as a
        delivery of its own) or why it cannot."""
        found = self._source.resolve(code, self._clock())
        state = found.state
        if found.outcome is not Outcome.ACTIVE or found.target != code or state is None:
            return None
        if state.delivery_mode is UnitDeliveryMode.PUSH:
            if not state.endpoint:
                return None
            return Destination(code, DeliveryMode.PUSH, state.endpoint)
        return Destination(code, DeliveryMode.PULL)
