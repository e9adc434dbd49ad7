"""Routes and destinations come from the registry as it stood at the time asked."""

from __future__ import annotations

from datetime import UTC, datetime

from orgcodes.resolver import Resolver
from routing.destinations import DeliveryMode, Destination
from routing.outcomes import RouteOutcome
from routing.registry_routes import RegistryRoutes
from tests.orgcodes.test_registry import (
    COMMUNE_A,
    COMMUNE_NEW,
    DEPT_TN,
    DISTRICT,
    LONG_AN,
    TAY_NINH,
    baseline,
    change_set,
    rearrangement,
    unit,
)

BEFORE = datetime(2025, 6, 1, tzinfo=UTC)
AFTER = datetime(2025, 8, 1, tzinfo=UTC)
SPLIT = "000.00.02.H53"


def _routes(at: datetime = AFTER) -> RegistryRoutes:
    registry = baseline().apply(rearrangement()).registry
    registry = registry.apply(
        change_set(
            unit(SPLIT, "Sở Nội vụ", TAY_NINH, 2),
            unit("000.00.03.H53", "Sở Nội vụ (Bắc)", TAY_NINH, 2),
            unit("000.00.04.H53", "Sở Nội vụ (Nam)", TAY_NINH, 2),
            {"op": "split", "from": SPLIT, "into": ["000.00.03.H53", "000.00.04.H53"]},
            {
                "op": "update",
                "code": DEPT_TN,
                "set": {"delivery_mode": "push", "endpoint": "https://dms.tayninh.example/edxml"},
            },
        )
    ).registry
    return RegistryRoutes(Resolver(registry), clock=lambda: at)


def test_an_active_code_is_routed_to_itself_with_the_registry_version() -> None:
    route = _routes().route(TAY_NINH, at=AFTER)
    assert (route.outcome, route.target, route.chain) == (RouteOutcome.ROUTED, TAY_NINH, ())
    assert route.registry_version == 3


def test_a_code_closed_in_2025_is_redirected_along_its_chain() -> None:
    routes = _routes()
    route = routes.route(COMMUNE_A, at=AFTER)
    assert route.outcome is RouteOutcome.REDIRECTED
    assert (route.target, route.chain) == (COMMUNE_NEW, (COMMUNE_A, COMMUNE_NEW))
    assert routes.route(LONG_AN, at=AFTER).target == TAY_NINH
    # Before the rearrangement took effect, the same code was an active unit of its own.
    assert routes.route(LONG_AN, at=BEFORE).outcome is RouteOutcome.ROUTED


def test_closed_split_and_unknown_codes_are_rejected_with_the_registry_reason() -> None:
    routes = _routes()
    closed = routes.route(DISTRICT, at=AFTER)
    assert (closed.outcome, closed.reason_code) == (RouteOutcome.REJECTED, "REGISTRY_CODE_CLOSED")
    assert closed.target is None and "closed" in (closed.reason or "")
    split = routes.route(SPLIT, at=AFTER)
    assert split.reason_code == "REGISTRY_CODE_AMBIGUOUS"
    assert "000.00.03.H53" in (split.reason or "") and "000.00.04.H53" in (split.reason or "")
    unknown = routes.route("000.00.00.H99", at=AFTER)
    assert unknown.reason_code == "REGISTRY_UNKNOWN_CODE"
    assert "000.00.00.H99" in (unknown.reason or "")


def test_destinations_follow_the_units_delivery_mode() -> None:
    routes = _routes()
    assert routes.destination(TAY_NINH) == Destination(TAY_NINH, DeliveryMode.PULL)
    assert routes.destination(DEPT_TN) == Destination(
        DEPT_TN, DeliveryMode.PUSH, "https://dms.tayninh.example/edxml"
    )


def test_only_an_active_unit_is_a_destination() -> None:
    routes = _routes()
    assert routes.destination(LONG_AN) is None  # closed since: not followed to its successor
    assert routes.destination(DISTRICT) is None
    assert routes.destination("000.00.00.H99") is None
    assert _routes(at=BEFORE).destination(LONG_AN) == Destination(LONG_AN)


def test_a_stale_registry_gives_no_final_no_but_still_routes_what_it_can() -> None:
    """Past the heartbeat's hard limit, a code the registry would reject is answered
    REGISTRY_STALE (not final); routed and redirected codes go on."""
    routes = _routes()
    stale = RegistryRoutes(routes._source, clock=lambda: AFTER, stale=lambda: "no heartbeat")
    unknown = stale.route("000.00.00.H98", at=AFTER)
    assert (unknown.outcome, unknown.reason_code, unknown.reason) == (
        RouteOutcome.REJECTED, "REGISTRY_STALE", "no heartbeat",
    )  # fmt: skip
    assert stale.route(DISTRICT, at=AFTER).reason_code == "REGISTRY_STALE"
    assert stale.route(TAY_NINH, at=AFTER).outcome is RouteOutcome.ROUTED
    assert stale.route(LONG_AN, at=AFTER).target == TAY_NINH
    assert routes.route("000.00.00.H98", at=AFTER).reason_code == "REGISTRY_UNKNOWN_CODE"
