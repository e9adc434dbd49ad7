"""The answers of the registry API (`/v1/registry/...`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from axis.wire.base import WireModel


class Unit(WireModel):
    code: str
    name: str
    parent: str | None
    level: int
    status: Literal["active", "closed"]
    since: datetime
    until: datetime | None
    version: int
    alt_code: str | None
    successors: list[str]
    old_codes: list[str]
    delivery_mode: str
    endpoint: str | None
    email: str | None
    phone: str | None


class UnitPage(WireModel):
    total: int
    offset: int
    units: list[Unit]


class Resolved(WireModel):
    input: str
    outcome: str
    target: str | None
    chain: list[str]
    candidates: list[str]
    version: int


class UnitDetail(WireModel):
    unit: Unit | None = Field(description="The unit's state at `at` (None before it existed).")
    history: list[Unit]
    resolve: Resolved


class VersionEntry(WireModel):
    version: int
    effective: datetime
    applied_at: datetime
    applied_by: str
    source: str
    reason: str
    payload_sha256: str
    change_set: dict[str, Any]


class Applied(WireModel):
    version: int
    effective: datetime
    warnings: list[str]


class CeasingCode(WireModel):
    """A code that stops receiving, what the node holds for it, and what becomes of it."""

    code: str
    name: str
    change: Literal["merged", "split", "closed"]
    outcome: Literal["redirected", "ambiguous", "closed"]
    successor: str | None
    chain: list[str]
    candidates: list[str]
    reason: str | None
    deliveries_on_the_way: int
    deliveries_ended: int
    inbox_unfetched: int
    clients: list[str]
    certificates: list[str]
    what_happens: list[str]


class Preview(WireModel):
    """What a change set will do, worked out without applying it."""

    version: int
    effective: datetime
    reason: str
    totals: dict[str, int]
    other_changes: dict[str, int]
    codes: list[CeasingCode]
