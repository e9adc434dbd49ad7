"""The database's outage errors answer 503 DATABASE_UNAVAILABLE with Retry-After; anything else
a database raises (a bug) still answers 500 (issue 14, finding 10). No server needed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import exc

from axis.http import errors, unavailable
from axis.store.db import DatabaseUnreachable

FAILURES: dict[str, BaseException] = {
    "unreachable": DatabaseUnreachable("cannot connect to the database: ConnectionRefusedError"),
    "lost": exc.InterfaceError(
        "SELECT 1", {}, Exception("connection is closed"), connection_invalidated=True
    ),
    "pool": exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"),
    "constraint": exc.IntegrityError("INSERT", {}, Exception("duplicate key")),
    "table": exc.ProgrammingError("SELECT", {}, Exception("no such table")),
    "disk": OSError("read-only file system"),
}


@pytest.fixture
def app() -> FastAPI:
    app = FastAPI()
    errors.install(app)
    unavailable.install(app)
    for name, failure in FAILURES.items():
        app.add_api_route(f"/{name}", _raising(failure))
    return app


def _raising(failure: BaseException) -> Callable[[], Awaitable[None]]:
    async def fail() -> None:
        raise failure

    return fail


@pytest.mark.parametrize("name", ["unreachable", "lost", "pool"])
async def test_an_outage_answers_503_with_retry_after(app: FastAPI, name: str) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.get(f"/{name}")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(unavailable.RETRY_AFTER_SECONDS)
    assert response.json()["error"]["code"] == "DATABASE_UNAVAILABLE"


@pytest.mark.parametrize("name", ["constraint", "table", "disk"])
async def test_a_bug_is_still_a_500(app: FastAPI, name: str) -> None:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        response = await c.get(f"/{name}")
    assert response.status_code == 500
    assert "Retry-After" not in response.headers
    assert response.json()["error"]["code"] == "INTERNAL_ERROR"
