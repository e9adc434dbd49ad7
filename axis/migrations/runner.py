"""Runs and inspects the migrations from code (`axis db upgrade`, `axis doctor`, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

_SCRIPTS = Path(__file__).parent


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("the migration scripts have no head revision")
    return head


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database to `revision` in one transaction."""

    def _upgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as conn:
        await conn.run_sync(_upgrade)


async def current_revision(engine: AsyncEngine) -> str | None:
    def _current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as conn:
        return await conn.run_sync(_current)


class NotMigrated(Exception):
    """The node's database is not at the schema this code needs."""


async def require_current(engine: AsyncEngine, what: str) -> None:
    """Refuse to work on a database that is not migrated to the head revision.

    Without this, a fresh node would answer "no such table" instead of what to do.
    """
    current, head = await current_revision(engine), head_revision()
    if current != head:
        raise NotMigrated(
            f"the database is at revision {current or 'none'}, {what} needs {head}; "
            "run axis db upgrade first."
        )
