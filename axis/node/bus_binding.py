"""The node's side of the bus binding: this database's identity, and checking, claiming and
moving the bus it serves.

Every database gets a random id once, when its schema is created (migration 0008, table
`database_identity`); it travels with the data, so replicas of one node sharing a PostgreSQL
see the same id, and so does a database moved by dump and restore. Before a node starts work it
reads the bus's binding log (`routing.binding`): an unbound bus is claimed for this database; a
bus bound to another database is refused with `BUS_BOUND_TO_OTHER_DATABASE`, naming both. Moving
a bus to another database on purpose is `rebind`, written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from sqlalchemy import Column, String, Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from axis.node.parts import topic_layout
from axis.settings import Settings
from axis.store import audit
from axis.store.db import metadata, session_factory
from routing.binding import Binding, BindingLog, BindingLogError, BindingRecord, current_binding
from routing.sql import UtcDateTime

log = structlog.get_logger(__name__)

BUS_BOUND_TO_OTHER_DATABASE = "BUS_BOUND_TO_OTHER_DATABASE"

database_identity = Table(
    "database_identity",
    metadata,
    Column("database_id", String(36), primary_key=True),
    Column("created_at", UtcDateTime(), nullable=False),
)
"""One row: the id this database was given when its schema was created."""


class BindingError(Exception):
    """A refusal about the bus binding: a machine code and a sentence naming what to do."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class BusState:
    """What `axis bus show` and `axis doctor` report."""

    bus: str
    database_id: str
    database: str
    binding: Binding | None

    @property
    def bound_here(self) -> bool:
        return self.binding is not None and self.binding.database_id == self.database_id


def bus_name(settings: Settings) -> str:
    return f"topic prefix {settings.topic_prefix!r} on {settings.kafka_bootstrap}"


def shown_database(engine: AsyncEngine) -> str:
    """The database's URL without its password."""
    return engine.url.render_as_string(hide_password=True)


async def database_id(engine: AsyncEngine) -> str:
    async with engine.connect() as connection:
        found = await connection.scalar(select(database_identity.c.database_id))
    if found is None:
        raise BindingError(
            "DATABASE_IDENTITY_MISSING",
            f"the database {shown_database(engine)} has no row in database_identity (it is "
            "written when the schema is created); restore it from a backup of this database",
        )
    return str(found)


def _binding_log(settings: Settings) -> BindingLog:
    return BindingLog(settings.kafka_bootstrap, topic_layout(settings).binding.name)


async def bus_state(settings: Settings, engine: AsyncEngine) -> BusState:
    """This database's id and the bus's binding, changing nothing."""
    ours = await database_id(engine)
    return BusState(bus_name(settings), ours, shown_database(engine), await _read(settings))


async def _read(settings: Settings) -> Binding | None:
    try:
        return current_binding(await _binding_log(settings).read())
    except BindingLogError as error:
        raise BindingError(
            "BUS_BINDING_UNREADABLE", f"{error}; check the broker with `axis doctor`"
        ) from error


def conflict(state: BusState) -> str:
    """Which database holds the bus and which one this node has."""
    assert state.binding is not None
    return (
        f"the bus ({state.bus}) is bound to database {state.binding.describe()}, but this "
        f"node's database is {state.database_id} ({state.database})"
    )


def remedy(state: BusState) -> str:
    assert state.binding is not None
    return (
        "point AXIS_DATABASE_URL (or AXIS_DATA_DIR) at the bus's database, or give this node a "
        "topic prefix of its own (AXIS_TOPIC_PREFIX); to move the bus to this database on "
        f"purpose: `axis bus rebind --from {state.binding.database_id} --reason ...`"
    )


def refusal(state: BusState) -> BindingError:
    return BindingError(
        BUS_BOUND_TO_OTHER_DATABASE,
        f"{conflict(state)}. A node on another database would take a share of the bus's "
        f"deliveries into it: {remedy(state)}.",
    )


async def ensure_bound(settings: Settings, engine: AsyncEngine) -> Binding:
    """The bus's binding to this database: claimed when the bus is unbound (its topics exist
    already), refused with `BUS_BOUND_TO_OTHER_DATABASE` when another database holds it."""
    state = await bus_state(settings, engine)
    if state.binding is None:
        claim = BindingRecord.claim(state.database_id, state.database, settings.node_id)
        await _binding_log(settings).append(claim)
        # Read our write back: of nodes claiming at once, the first record written wins.
        state = BusState(state.bus, state.database_id, state.database, await _read(settings))
        if state.binding is not None and state.binding.record.record_id == claim.record_id:
            await _audit(engine, "bus.bind", settings, state, claim.node, {})
            log.info("bus bound to this database", bus=state.bus, database_id=state.database_id)
    if not state.bound_here:
        raise refusal(state)
    assert state.binding is not None
    return state.binding


async def rebind(
    settings: Settings, engine: AsyncEngine, *, previous: str, actor: str, reason: str
) -> Binding:
    """Move the bus from database `previous` (as `axis bus show` names it) to this one."""
    state = await bus_state(settings, engine)
    if state.binding is None:
        raise BindingError(
            "BUS_NOT_BOUND",
            f"the bus ({state.bus}) is bound to no database yet: the first node to start on it "
            "binds it to its own",
        )
    if state.bound_here:
        return state.binding
    if state.binding.database_id != previous:
        raise BindingError(
            "BUS_REBIND_STALE",
            f"the bus ({state.bus}) is bound to database {state.binding.describe()}, not to "
            f"{previous}; check with `axis bus show` and name the database it is bound to",
        )
    record = BindingRecord.rebind(
        state.database_id, state.database, settings.node_id,
        previous=previous, actor=actor, reason=reason,
    )  # fmt: skip
    await _binding_log(settings).append(record)
    after = BusState(state.bus, state.database_id, state.database, await _read(settings))
    if after.binding is None or after.binding.record.record_id != record.record_id:
        raise BindingError(
            "BUS_REBIND_STALE",
            f"another rebind of the bus ({state.bus}) came first; check with `axis bus show`",
        )
    detail = {"from": previous, "from_database": state.binding.record.database, "reason": reason}
    await _audit(engine, "bus.rebind", settings, after, actor, detail)
    return after.binding


async def _audit(
    engine: AsyncEngine,
    action: str,
    settings: Settings,
    state: BusState,
    actor: str,
    detail: dict[str, str],
) -> None:
    entry = audit.AuditEntry(
        actor=actor,
        action=action,
        target=f"{settings.topic_prefix}@{settings.kafka_bootstrap}",
        detail={"database_id": state.database_id, **detail},
    )
    async with session_factory(engine).begin() as session:
        await audit.append(session, entry)
