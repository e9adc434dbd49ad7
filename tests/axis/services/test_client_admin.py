"""API client changes are made and audited together (`axis.services.client_admin`): the
operators' API and `axis clients add --local` both go through it."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncEngine

from axis.migrations.runner import upgrade
from axis.services.client_admin import Actor, ClientAdmin, NewClient
from axis.store import audit
from axis.store.credentials import ClientError, ClientStore, Role
from axis.store.db import session_factory


async def admin_on(engine: AsyncEngine) -> ClientAdmin:
    await upgrade(engine)
    return ClientAdmin(session_factory(engine), ClientStore(Fernet.generate_key()))


async def entries(engine: AsyncEngine) -> list[audit.AuditEntry]:
    async with session_factory(engine)() as session:
        return await audit.recent(session)


async def test_each_change_writes_one_audit_entry_naming_who_and_the_request(
    sqlite_engine: AsyncEngine,
) -> None:
    admin = await admin_on(sqlite_engine)
    operator = Actor("client:ops", request_id="req-1")
    new = NewClient(client_id="dms-h41", name="DMS", codes=["000.00.00.H41"], roles=[Role.AGENCY])
    issued = await admin.add(new, operator)
    await admin.rotate("dms-h41", operator)
    disabled = await admin.disable("dms-h41", Actor("root@node"))
    assert issued.secret and disabled.client_id == "dms-h41"
    logged = [(e.actor, e.action, e.target, e.request_id) for e in await entries(sqlite_engine)]
    assert logged == [
        ("root@node", "clients.disable", "dms-h41", None),
        ("client:ops", "clients.rotate", "dms-h41", "req-1"),
        ("client:ops", "clients.add", "dms-h41", "req-1"),
    ]


async def test_a_refused_change_leaves_no_audit_entry(sqlite_engine: AsyncEngine) -> None:
    admin = await admin_on(sqlite_engine)
    with pytest.raises(ClientError):
        await admin.disable("nobody", Actor("client:ops"))
    assert await entries(sqlite_engine) == []
