"""The impact of a change set, worked out without applying it (`orgcodes.impact`)."""

from __future__ import annotations

from typing import Any

import pytest

from orgcodes.changes import parse_change_set
from orgcodes.errors import RegistryError
from orgcodes.impact import impact
from orgcodes.registry import Registry
from orgcodes.resolver import Outcome

H39, H41, H53, H26, H30 = (
    "000.00.00.H39",
    "000.00.00.H41",
    "000.00.00.H53",
    "000.00.00.H26",
    "000.00.00.H30",
)
DISTRICT = "000.00.21.H39"


def unit(code: str, name: str, parent: str | None = None) -> dict[str, Any]:
    return {"op": "create", "unit": {"code": code, "name": name, "parent": parent,
                                     "level": 1 if parent is None else 2}}  # fmt: skip


def baseline() -> Registry:
    changes = [
        unit(H39, "UBND tỉnh Long An"), unit(H41, "UBND tỉnh Nghệ An"),
        unit(H53, "UBND tỉnh Tây Ninh"), unit(H26, "Sở Tư pháp"),
        unit(DISTRICT, "UBND huyện Bến Lức", parent=H39),
    ]  # fmt: skip
    change_set = {
        "effective": "2020-01-01T00:00:00+07:00",
        "reason": "baseline",
        "changes": changes,
    }
    return Registry().apply(parse_change_set(change_set)).registry


def test_each_code_that_stops_receiving_says_where_its_documents_go() -> None:
    registry = baseline()
    change_set = parse_change_set({
        "effective": "2025-07-01T00:00:00+07:00", "reason": "Nghị quyết 202/2025",
        "changes": [
            {"op": "close", "code": DISTRICT},
            {"op": "merge", "from": [H53, H39], "into": H53},
            unit(H30, "Sở Tư pháp mới"),
            {"op": "split", "from": H26, "into": [H41, H30]},
            {"op": "rename", "code": H53, "name": "UBND tỉnh Tây Ninh mới"},
        ],
    })  # fmt: skip
    found = impact(registry, change_set)
    assert (found.version, found.reason) == (2, "Nghị quyết 202/2025")
    by_code = {c.code: c for c in found.ceasing}
    assert set(by_code) == {DISTRICT, H39, H26}
    merged = by_code[H39]
    assert (merged.change, merged.outcome, merged.successor, merged.chain) == (
        "merged",
        Outcome.REDIRECTED,
        H53,
        (H39, H53),
    )
    assert merged.name == "UBND tỉnh Long An" and merged.reason is None
    split = by_code[H26]
    assert (split.change, split.outcome, split.candidates) == (
        "split",
        Outcome.AMBIGUOUS,
        (H41, H30),
    )
    assert split.reason is not None and f"{H41}, {H30}" in split.reason
    closed = by_code[DISTRICT]
    assert (closed.change, closed.outcome, closed.successor) == ("closed", Outcome.CLOSED, None)
    assert found.other_changes == {"create": 1, "rename": 1}
    assert registry.version == 1  # nothing applied


def test_a_change_set_that_does_not_fit_is_refused_as_applying_it_would_be() -> None:
    change_set = parse_change_set({
        "effective": "2025-07-01T00:00:00+07:00",
        "changes": [{"op": "close", "code": "000.00.00.H99"}],
    })  # fmt: skip
    with pytest.raises(RegistryError) as refused:
        impact(baseline(), change_set)
    with pytest.raises(RegistryError) as applying:
        baseline().apply(change_set)
    assert refused.value.code == applying.value.code
