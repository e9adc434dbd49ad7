"""A unit view pages exactly as a scan of every history would, and covers exactly the moments
between the registry's transitions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from orgcodes.model import UnitState, UnitStatus
from orgcodes.registry import Registry
from orgcodes.views import UnitView, transitions
from tests.orgcodes.test_registry import (
    AT_2025,
    COMMUNE_NEW,
    DISTRICT,
    LONG_AN,
    TAY_NINH,
    baseline,
    rearrangement,
)
from tests.orgcodes.test_resolver import CODES, ROOT, histories


def scanned(
    registry: Registry,
    moment: datetime,
    *,
    q: str | None = None,
    parent: str | None = None,
    status: UnitStatus | None = None,
    level: int | None = None,
) -> list[UnitState]:
    """What `GET /v1/registry/units` computed before views: a scan of every history."""
    needle = q.casefold() if q else None
    found = []
    for history in registry:
        state = history.at(moment)
        if state is None:
            continue
        if status is not None and state.status is not status:
            continue
        if parent is not None and state.parent != parent:
            continue
        if level is not None and state.level != level:
            continue
        if needle and needle not in state.code.casefold() and needle not in state.name.casefold():
            continue
        found.append(state)
    return sorted(found, key=lambda s: s.code)


FILTERS = st.fixed_dictionaries(
    {},
    optional={
        "q": st.sampled_from(["", "0", ".0", "h10", "ROOT", "renamed", "000.00.0", "zzz"]),
        "parent": st.sampled_from([ROOT, CODES[0], "000.00.00.H99"]),
        "status": st.sampled_from(list(UnitStatus)),
        "level": st.integers(0, 3),
    },
)


@settings(max_examples=150, deadline=None)
@given(
    histories(),
    st.lists(FILTERS, min_size=1, max_size=4),
    st.integers(0, 14),
    st.integers(1, 15),
    st.integers(-2, 2),
)
def test_a_view_pages_as_a_scan_of_every_history(
    drawn: tuple[Registry, list[datetime]],
    filters: list[dict[str, object]],
    offset: int,
    limit: int,
    shift: int,
) -> None:
    registry, moments = drawn
    probes = [moments[0] - timedelta(days=1), *moments, moments[-1] + timedelta(days=1)]
    for moment in (m + timedelta(seconds=shift) for m in probes):
        view = UnitView(registry, moment)
        assert list(view.states) == scanned(registry, moment)
        for given_filters in filters:
            expected = scanned(registry, moment, **given_filters)  # type: ignore[arg-type]
            total, page = view.page(offset, limit, **given_filters)  # type: ignore[arg-type]
            assert total == len(expected), given_filters
            assert page == expected[offset : offset + limit], given_filters


@settings(max_examples=100, deadline=None)
@given(histories(), st.integers(-2, 2))
def test_a_view_covers_exactly_the_moments_until_the_next_transition(
    drawn: tuple[Registry, list[datetime]], shift: int
) -> None:
    registry, moments = drawn
    for moment in (m + timedelta(seconds=shift) for m in moments):
        view = UnitView(registry, moment)
        assert view.covers(moment)
        if view.until is not None:
            assert not view.covers(view.until)
            assert view.covers(view.until - timedelta(microseconds=1))
            assert scanned(registry, view.until - timedelta(microseconds=1)) == list(view.states)
        if view.floor is not None:
            assert view.covers(view.floor)
            assert not view.covers(view.floor - timedelta(microseconds=1))
            assert scanned(registry, view.floor) == list(view.states)
        for other in moments:
            for probe in (other, other - timedelta(microseconds=1)):
                if view.covers(probe):
                    assert scanned(registry, probe) == list(view.states), probe


def test_the_next_transition_is_the_next_effective_time_of_any_state() -> None:
    registry = baseline().apply(rearrangement()).registry
    before = AT_2025 - timedelta(days=30)
    floor, until = transitions(registry, before)
    assert until == AT_2025, "the rearrangement takes effect then"
    assert floor == datetime(2019, 12, 31, 17, 0, tzinfo=UTC)
    view = UnitView(registry, before)
    assert (view.floor, view.until) == (floor, until)
    assert COMMUNE_NEW not in {s.code for s in view.states}, "not created yet"
    assert {s.code: s.status for s in view.states}[LONG_AN] is UnitStatus.ACTIVE
    assert not view.covers(AT_2025)

    after = UnitView(registry, AT_2025)
    assert after.until is None and after.covers(AT_2025 + timedelta(days=3650))
    assert {s.code: s.status for s in after.states}[LONG_AN] is UnitStatus.CLOSED
    assert after.page(0, 10, parent=TAY_NINH, status=UnitStatus.ACTIVE)[0] >= 1
    assert [s.code for s in after.page(0, 10, q="huyện")[1]] == [DISTRICT]


def test_an_empty_registry_has_an_empty_view_for_all_time() -> None:
    view = UnitView(Registry(), datetime(2025, 1, 1, tzinfo=UTC))
    assert (len(view), view.floor, view.until) == (0, None, None)
    assert view.page(0, 50) == (0, [])
    assert view.covers(datetime(1970, 1, 1, tzinfo=UTC))
