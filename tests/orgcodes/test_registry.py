"""The registry applies change sets atomically, keeps every unit's history and its invariants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from orgcodes.changes import parse_change_set
from orgcodes.errors import RegistryCode, RegistryError
from orgcodes.model import DeliveryMode, UnitStatus
from orgcodes.registry import Registry

T2020 = "2020-01-01T00:00:00+07:00"
T2025 = "2025-07-01T00:00:00+07:00"
AT_2025 = datetime(2025, 6, 30, 17, 0, tzinfo=UTC)

TAY_NINH = "000.00.00.H53"
LONG_AN = "000.00.00.H37"
DEPT_TN = "000.00.01.H53"
DEPT_LA = "000.00.01.H37"
DISTRICT = "000.00.21.H37"
COMMUNE_A = "000.01.21.H37"
COMMUNE_B = "000.02.21.H37"
COMMUNE_NEW = "000.01.50.H53"


def unit(code: str, name: str, parent: str | None, level: int, **more: Any) -> dict[str, Any]:
    return {
        "op": "create",
        "unit": {"code": code, "name": name, "parent": parent, "level": level, **more},
    }


def change_set(*changes: dict[str, Any], effective: str = T2025) -> Any:
    return parse_change_set({"effective": effective, "reason": "test", "changes": list(changes)})


def baseline() -> Registry:
    return (
        Registry()
        .apply(
            change_set(
                unit(TAY_NINH, "UBND tỉnh Tây Ninh", None, 1),
                unit(LONG_AN, "UBND tỉnh Long An", None, 1),
                unit(DEPT_TN, "Sở Tư pháp Tây Ninh", TAY_NINH, 2),
                unit(DEPT_LA, "Sở Tư pháp Long An", LONG_AN, 2),
                unit(DISTRICT, "UBND huyện Đức Hòa", LONG_AN, 2),
                unit(COMMUNE_A, "UBND xã Hòa Khánh", DISTRICT, 3),
                unit(COMMUNE_B, "UBND xã Đức Lập", DISTRICT, 3),
                effective=T2020,
            )
        )
        .registry
    )


def rearrangement() -> Any:
    return change_set(
        {"op": "merge", "from": [TAY_NINH, LONG_AN], "into": TAY_NINH},
        {"op": "merge", "from": [DEPT_TN, DEPT_LA], "into": DEPT_TN},
        unit(COMMUNE_NEW, "UBND xã Đức Hòa", TAY_NINH, 3),
        {"op": "merge", "from": [COMMUNE_A, COMMUNE_B], "into": COMMUNE_NEW},
        {"op": "close", "code": DISTRICT},
    )


def test_a_change_set_gets_the_next_version_and_keeps_the_past() -> None:
    before = baseline()
    applied = before.apply(rearrangement())
    after = applied.registry
    assert (before.version, after.version) == (1, 2)
    long_an = after.history(LONG_AN)
    assert long_an is not None
    assert [s.status for s in long_an.states] == [UnitStatus.ACTIVE, UnitStatus.CLOSED]
    assert long_an.current.successors == (TAY_NINH,)
    assert long_an.valid_to == datetime(2025, 6, 30, 17, 0, tzinfo=UTC)
    assert long_an.at(AT_2025.replace(hour=16)).status is UnitStatus.ACTIVE  # type: ignore[union-attr]
    assert after.get(TAY_NINH).active  # type: ignore[union-attr]  # kept its code
    assert after.get(DISTRICT).successors == ()  # type: ignore[union-attr]
    assert {h.code for h in applied.changed} == {
        LONG_AN,
        TAY_NINH,
        DEPT_LA,
        DEPT_TN,
        COMMUNE_NEW,
        COMMUNE_A,
        COMMUNE_B,
        DISTRICT,
    } - {TAY_NINH, DEPT_TN}
    # the value that was applied to is untouched
    assert before.get(LONG_AN).active  # type: ignore[union-attr]


def test_rename_move_and_update_write_new_states_from_the_effective_time() -> None:
    registry = (
        baseline()
        .apply(
            change_set(
                {"op": "rename", "code": COMMUNE_A, "name": "UBND phường Hòa Khánh"},
                {"op": "move", "code": COMMUNE_A, "parent": TAY_NINH},
                {
                    "op": "update",
                    "code": COMMUNE_A,
                    "set": {
                        "delivery_mode": "push",
                        "endpoint": "https://vbdh.example.vn/inbox",
                        "email": "vanthu@hoakhanh.gov.vn",
                        "alt_code": "H37.21.01",
                    },
                },
            )
        )
        .registry
    )
    history = registry.history(COMMUNE_A)
    assert history is not None and len(history.states) == 2  # one new state for the change set
    old, new = history.states
    assert (old.name, old.parent, old.until) == ("UBND xã Hòa Khánh", DISTRICT, new.since)
    assert (new.name, new.parent) == ("UBND phường Hòa Khánh", TAY_NINH)
    assert (new.delivery_mode, new.endpoint) == (DeliveryMode.PUSH, "https://vbdh.example.vn/inbox")
    assert (new.contact.email, new.alt_code) == ("vanthu@hoakhanh.gov.vn", "H37.21.01")


def test_a_split_closes_the_unit_with_every_successor() -> None:
    registry = (
        baseline()
        .apply(
            change_set(
                unit("000.01.51.H53", "UBND xã Bắc", TAY_NINH, 3),
                unit("000.02.51.H53", "UBND xã Nam", TAY_NINH, 3),
                {"op": "split", "from": COMMUNE_B, "into": ["000.01.51.H53", "000.02.51.H53"]},
            )
        )
        .registry
    )
    state = registry.get(COMMUNE_B)
    assert state is not None and state.status is UnitStatus.CLOSED
    assert state.successors == ("000.01.51.H53", "000.02.51.H53")


@pytest.mark.parametrize(
    ("changes", "code", "index"),
    [
        pytest.param([unit(LONG_AN, "again", None, 1)], RegistryCode.CODE_REUSED, 0, id="reuse"),
        pytest.param(
            [
                {"op": "close", "code": COMMUNE_A},
                unit("000.09.21.H37", "x", DISTRICT, 3, alt_code="H37.21.09"),
                unit("000.08.21.H37", "y", DISTRICT, 3, alt_code="H37.21.09"),
            ],
            RegistryCode.CODE_REUSED,
            2,
            id="alt-taken",
        ),
        pytest.param(
            [{"op": "rename", "code": "000.00.00.H99", "name": "x"}],
            RegistryCode.UNKNOWN_UNIT,
            0,
            id="unknown",
        ),
        pytest.param(
            [{"op": "close", "code": COMMUNE_A}, {"op": "close", "code": COMMUNE_A}],
            RegistryCode.UNIT_CLOSED,
            1,
            id="closed-twice",
        ),
        pytest.param(
            [{"op": "close", "code": DISTRICT}], RegistryCode.PARENT_CLOSED, 0, id="orphans"
        ),
        pytest.param(
            [{"op": "move", "code": COMMUNE_A, "parent": "000.00.00.H99"}],
            RegistryCode.PARENT_UNKNOWN,
            0,
            id="parent-unknown",
        ),
        pytest.param(
            [{"op": "move", "code": LONG_AN, "parent": COMMUNE_A}],
            RegistryCode.PARENT_CYCLE,
            0,
            id="cycle",
        ),
        pytest.param(
            [{"op": "merge", "from": [COMMUNE_A], "into": COMMUNE_A}],
            RegistryCode.SUCCESSOR_INVALID,
            0,
            id="merge-nothing",
        ),
        pytest.param(
            [{"op": "split", "from": COMMUNE_A, "into": [COMMUNE_B]}],
            RegistryCode.SUCCESSOR_INVALID,
            0,
            id="split-one",
        ),
        pytest.param(
            [{"op": "update", "code": COMMUNE_A, "set": {"delivery_mode": "push"}}],
            RegistryCode.CHANGESET_MALFORMED,
            0,
            id="push-without-endpoint",
        ),
    ],
)
def test_a_change_that_does_not_fit_refuses_the_whole_set_and_is_named(
    changes: list[dict[str, Any]], code: RegistryCode, index: int
) -> None:
    before = baseline()
    harmless = {"op": "rename", "code": DEPT_TN, "name": "renamed first"}
    with pytest.raises(RegistryError) as raised:
        before.apply(change_set(harmless, *changes))
    assert raised.value.code is code
    assert raised.value.change == index + 1
    assert raised.value.message.startswith(f"change {index + 1} (")
    assert before.get(DEPT_TN).name == "Sở Tư pháp Tây Ninh"  # type: ignore[union-attr]
    assert before.version == 1


def test_a_change_set_cannot_take_effect_before_a_later_one_on_the_same_unit() -> None:
    registry = baseline().apply(rearrangement()).registry
    earlier = change_set(
        {"op": "rename", "code": COMMUNE_NEW, "name": "x"}, effective="2024-01-01T00:00:00+07:00"
    )
    with pytest.raises(RegistryError) as raised:
        registry.apply(earlier)
    assert raised.value.code is RegistryCode.EFFECTIVE_TOO_EARLY


def test_versions_must_follow_each_other() -> None:
    registry = baseline()
    with pytest.raises(RegistryError) as gap:
        registry.apply(rearrangement(), version=3)
    assert gap.value.code is RegistryCode.VERSION_GAP
    with pytest.raises(RegistryError) as old:
        registry.apply(rearrangement(), version=1)
    assert old.value.code is RegistryCode.VERSION_OLD
    assert registry.apply(rearrangement(), version=2).registry.version == 2


def test_counts_by_status_at_a_time() -> None:
    registry = baseline().apply(rearrangement()).registry
    assert registry.counts() == {"active": 3, "closed": 5, "future": 0}
    assert registry.counts(AT_2025.replace(hour=16)) == {"active": 7, "closed": 0, "future": 1}


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        pytest.param(
            {"effective": "2025-07-01T00:00:00", "changes": [{"op": "close", "code": "x"}]},
            "no UTC offset",
            id="naive-time",
        ),
        pytest.param({"effective": T2025, "changes": []}, "non-empty list", id="no-changes"),
        pytest.param(
            {"effective": T2025, "changes": [{"op": "explode", "code": "x"}]},
            "'explode' is not an operation",
            id="unknown-op",
        ),
        pytest.param(
            {"effective": T2025, "changes": [{"op": "close", "cod": "x"}]},
            "unknown field 'cod'",
            id="typo",
        ),
        pytest.param(
            {
                "effective": T2025,
                "changes": [{"op": "create", "unit": {"code": "A", "name": "x", "level": 1}}],
            },
            "changes[0].unit.code",
            id="bad-code",
        ),
        pytest.param(
            {
                "effective": T2025,
                "changes": [
                    {"op": "create", "unit": {"code": "000.00.00.H53", "name": "x", "level": 0}}
                ],
            },
            "level",
            id="level",
        ),
        pytest.param(
            {
                "effective": T2025,
                "changes": [{"op": "update", "code": "x", "set": {"endpoint": "ftp://x"}}],
            },
            "http",
            id="endpoint-scheme",
        ),
    ],
)
def test_a_malformed_change_set_is_refused_with_the_field_named(
    document: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(RegistryError) as raised:
        parse_change_set(document)
    assert raised.value.code in (RegistryCode.CHANGESET_MALFORMED, RegistryCode.BAD_CODE)
    assert fragment in raised.value.message


def test_a_change_set_survives_its_own_json() -> None:
    original = rearrangement()
    again = parse_change_set(original.dumps())
    assert again == original
    update = change_set(
        {"op": "update", "code": COMMUNE_A, "set": {"old_codes": ["X.1"], "phone": "0276"}}
    )
    assert parse_change_set(update.dumps()) == update


def test_in_force_changes_with_a_version_and_when_a_future_change_takes_effect() -> None:
    registry = baseline()
    effective = datetime(2025, 6, 30, 17, 0, tzinfo=UTC)  # T2025, in UTC
    later = baseline().apply(rearrangement()).registry
    before, at = effective - timedelta(seconds=1), effective
    assert registry.in_force(before) == registry.in_force(at)  # nothing changes then
    assert later.in_force(before) != registry.in_force(before)  # a new version
    assert later.in_force(before) != later.in_force(at)  # the change takes effect
    assert later.in_force(at) == later.in_force(at + timedelta(days=365))
    assert later.in_force(at) == (later.version, effective)
