"""The resolver answers from the registry as it stood at the asked time, and its index agrees
with the definition everywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgcodes.changes import parse_change_set
from orgcodes.errors import RegistryError
from orgcodes.registry import Registry
from orgcodes.resolver import Outcome, Resolver, resolve_at
from tests.orgcodes.test_registry import (
    COMMUNE_A,
    COMMUNE_B,
    COMMUNE_NEW,
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
LATER = datetime(2026, 8, 1, tzinfo=UTC)
NEWER = "000.01.60.H53"


def registry_2026() -> Registry:
    """2025 rearrangement, then in 2026 the new commune merged again and one commune split."""
    return (
        baseline()
        .apply(rearrangement())
        .registry.apply(
            change_set(
                unit(
                    NEWER,
                    "UBND xã Đức Hòa Mới",
                    TAY_NINH,
                    3,
                    alt_code="H53.60.01",
                    old_codes=["000.77.21.H37"],
                ),
                {"op": "merge", "from": [COMMUNE_NEW], "into": NEWER},
                unit("000.01.61.H53", "UBND xã Bắc", TAY_NINH, 3),
                unit("000.02.61.H53", "UBND xã Nam", TAY_NINH, 3),
                {
                    "op": "split",
                    "from": "000.00.01.H53",
                    "into": ["000.01.61.H53", "000.02.61.H53"],
                },
                effective="2026-07-01T00:00:00+07:00",
            )
        )
        .registry
    )


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    return Resolver(registry_2026())


def test_a_closed_province_is_redirected_to_its_successor_now(resolver: Resolver) -> None:
    answer = resolver.resolve(LONG_AN)
    assert (answer.outcome, answer.target, answer.chain) == (
        Outcome.REDIRECTED,
        TAY_NINH,
        (LONG_AN, TAY_NINH),
    )
    assert answer.version == 3
    assert answer.state is not None and answer.state.code == TAY_NINH


def test_a_merged_commune_follows_every_merge_in_force_at_the_time(resolver: Resolver) -> None:
    assert resolver.resolve(COMMUNE_A, BEFORE).outcome is Outcome.ACTIVE
    after = resolver.resolve(COMMUNE_A, AFTER)
    assert (after.outcome, after.target, after.chain) == (
        Outcome.REDIRECTED,
        COMMUNE_NEW,
        (COMMUNE_A, COMMUNE_NEW),
    )
    later = resolver.resolve(COMMUNE_A, LATER)
    assert (later.target, later.chain) == (NEWER, (COMMUNE_A, COMMUNE_NEW, NEWER))


def test_an_active_unit_is_active_and_did_not_exist_before_it_was_created(
    resolver: Resolver,
) -> None:
    answer = resolver.resolve(COMMUNE_NEW, AFTER)
    assert (answer.outcome, answer.target, answer.chain) == (Outcome.ACTIVE, COMMUNE_NEW, ())
    assert resolver.resolve(COMMUNE_NEW, BEFORE).outcome is Outcome.UNKNOWN


def test_a_split_unit_is_ambiguous_with_its_candidates(resolver: Resolver) -> None:
    answer = resolver.resolve("000.00.01.H37", LATER)  # Long An's department, merged then split
    assert answer.outcome is Outcome.AMBIGUOUS
    assert answer.target is None
    assert answer.candidates == ("000.01.61.H53", "000.02.61.H53")
    assert answer.chain == ("000.00.01.H37", "000.00.01.H53")
    assert answer.reason_code == "REGISTRY_CODE_AMBIGUOUS"
    assert answer.reason is not None and "000.01.61.H53, 000.02.61.H53" in answer.reason


def test_a_closed_district_is_closed_and_unknown_codes_are_unknown(resolver: Resolver) -> None:
    closed = resolver.resolve(DISTRICT, AFTER)
    assert (closed.outcome, closed.target, closed.chain) == (Outcome.CLOSED, None, (DISTRICT,))
    assert closed.reason is not None and "no successor" in closed.reason
    unknown = resolver.resolve("000.00.00.H99")
    assert (unknown.outcome, unknown.reason_code) == (Outcome.UNKNOWN, "REGISTRY_UNKNOWN_CODE")


def test_alternate_and_old_codes_lead_to_their_unit(resolver: Resolver) -> None:
    alternate = resolver.resolve("H53.60.01", LATER)
    assert (alternate.outcome, alternate.target, alternate.chain) == (Outcome.ACTIVE, NEWER, ())
    old = resolver.resolve("000.77.21.H37", LATER)
    assert (old.outcome, old.target, old.chain) == (
        Outcome.REDIRECTED,
        NEWER,
        ("000.77.21.H37", NEWER),
    )


def test_a_change_published_ahead_changes_nothing_until_it_takes_effect() -> None:
    future = datetime.now(UTC) + timedelta(days=30)
    registry = (
        baseline()
        .apply(
            change_set(
                {"op": "close", "code": COMMUNE_B},
                effective=future.isoformat(),
            )
        )
        .registry
    )
    resolver = Resolver(registry)
    assert resolver.resolve(COMMUNE_B).outcome is Outcome.ACTIVE
    assert resolver.resolve(COMMUNE_B, future).outcome is Outcome.CLOSED


def test_input_is_tidied_but_reported_as_given(resolver: Resolver) -> None:
    answer = resolver.resolve(" 000.00.00.h53 ")
    assert (answer.input, answer.outcome, answer.target) == (
        " 000.00.00.h53 ",
        Outcome.ACTIVE,
        TAY_NINH,
    )


def test_a_naive_time_is_refused(resolver: Resolver) -> None:
    with pytest.raises(ValueError, match="aware"):
        resolver.resolve(TAY_NINH, datetime(2025, 1, 1))


def test_json_has_the_documented_keys(resolver: Resolver) -> None:
    assert resolver.resolve(LONG_AN, AFTER).as_json() == {
        "input": LONG_AN,
        "outcome": "redirected",
        "target": TAY_NINH,
        "chain": [LONG_AN, TAY_NINH],
        "candidates": [],
        "version": 3,
    }


# --- the index agrees with the definition, on random registries --------------------------

CODES = [f"000.00.{n:02d}.H10" for n in range(1, 13)]
ROOT = "000.00.00.H10"


@st.composite
def histories(draw: st.DrawFn) -> tuple[Registry, list[datetime]]:
    """A registry built by a random run of change sets over a few units."""
    registry = (
        Registry()
        .apply(
            parse_change_set(
                {
                    "effective": "2020-01-01T00:00:00Z",
                    "changes": [
                        {"op": "create", "unit": {"code": ROOT, "name": "root", "level": 1}}
                    ],
                }
            )
        )
        .registry
    )
    created: list[str] = []
    moment = datetime(2020, 1, 1, tzinfo=UTC)
    moments = [moment]
    for _ in range(draw(st.integers(1, 8))):
        moment += timedelta(days=draw(st.integers(1, 400)))
        moments.append(moment)
        active = [c for c in created if registry.get(c).active]  # type: ignore[union-attr]
        changes: list[dict[str, Any]] = []
        fresh = [c for c in CODES if c not in created][: draw(st.integers(0, 3))]
        changes += [
            unit(c, c, ROOT, 2, **({"alt_code": f"H10.{c[7:9]}.9"} if i == 0 else {}))
            for i, c in enumerate(fresh)
        ]
        pool = active + fresh
        kind = draw(st.sampled_from(["merge", "split", "close", "rename", "none"]))
        if kind == "merge" and len(pool) >= 2:
            sources = draw(st.lists(st.sampled_from(pool), min_size=2, max_size=3, unique=True))
            changes.append({"op": "merge", "from": sources, "into": draw(st.sampled_from(pool))})
        elif kind == "split" and len(pool) >= 3:
            source, *into = draw(
                st.lists(st.sampled_from(pool), min_size=3, max_size=3, unique=True)
            )
            changes.append({"op": "split", "from": source, "into": into})
        elif kind == "close" and active:
            changes.append({"op": "close", "code": draw(st.sampled_from(active))})
        elif kind == "rename" and active:
            changes.append({"op": "rename", "code": active[0], "name": f"renamed {moment}"})
        if not changes:
            continue
        try:
            registry = registry.apply(
                parse_change_set({"effective": moment.isoformat(), "changes": changes})
            ).registry
        except RegistryError:  # a drawn change set that does not fit: skip it
            continue
        created += fresh
    return registry, moments


@settings(max_examples=150, deadline=None)
@given(histories(), st.integers(-2, 2))
def test_the_index_answers_what_the_registry_says_at_every_time(
    drawn: tuple[Registry, list[datetime]], shift: int
) -> None:
    registry, moments = drawn
    resolver = Resolver(registry)
    probes = [m + timedelta(seconds=shift) for m in moments] + [moments[-1] + timedelta(days=1)]
    for code in [ROOT, *CODES, *(f"H10.{c[7:9]}.9" for c in CODES)]:
        for at in probes:
            assert resolver.resolve(code, at) == resolve_at(registry, code, at), (code, at)
