"""A running node with its HTTP app, and clients of every role, for the HTTP tests.

`http_node` calls the app in process (httpx's ASGI transport); `served` also listens on a
loopback port with uvicorn, for clients that need a real HTTP server (the national SDK's
`Expect: 100-continue`, the browser, schemathesis).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI

from axis.http.app import create_app
from axis.http.context import AppContext
from axis.http.server import http_server
from axis.store.credentials import Role
from tests.support.bus import ScriptedEndpoint
from tests.support.postgres import free_port
from tests.support.running_node import G22, H41, H53, NodePlace, Running, running_node

CLIENTS: dict[str, tuple[list[str], list[Role]]] = {
    "g22": ([G22], [Role.AGENCY]),
    "h41": ([H41], [Role.AGENCY]),
    "h53": ([H53], [Role.AGENCY]),
    "clerk-g22": ([G22], [Role.CLERK]),
    "operator": ([], [Role.OPERATOR]),
    "authority": ([], [Role.REGISTRY_AUTHORITY]),
}
"""The clients every HTTP test has: name -> (codes, roles)."""
UNTHROTTLED = {"auth_failures_per_address": 1_000_000, "auth_failures_per_client": 1_000_000}
"""The tests try many wrong secrets from one address on purpose; the throttle has tests of its
own (`test_throttle.py`)."""


@dataclass
class HttpNode:
    running: Running
    app: FastAPI
    context: AppContext
    secrets: dict[str, str] = field(default_factory=dict)
    base_url: str = "http://axis.test"

    def client(self, name: str | None = None, *, secret: str | None = None) -> httpx.AsyncClient:
        """A client calling the app as `name` (None: without credentials)."""
        headers = {}
        token = secret if secret is not None else (self.secrets[name] if name else None)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if self.base_url.startswith("http://axis.test"):
            transport: httpx.AsyncBaseTransport = httpx.ASGITransport(app=self.app)
            return httpx.AsyncClient(
                transport=transport, base_url=self.base_url, headers=headers, timeout=30
            )
        return httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=30)

    async def add_client(
        self,
        name: str,
        codes: list[str],
        roles: list[Role],
        *,
        hmac: bool = False,
        secret: str | None = None,
    ) -> str:
        """Create a client `name` (its id too); returns its secret."""
        async with self.context.node.sessions.begin() as session:
            issued = await self.context.services.clients.add(
                session, client_id=name, name=name, codes=codes, roles=roles,
                hmac_enabled=hmac, secret=secret,
            )  # fmt: skip
        self.secrets[name] = issued.secret
        return issued.secret


@pytest.fixture
def push_endpoint() -> ScriptedEndpoint:
    return ScriptedEndpoint()


@pytest.fixture
async def http_node(
    node_place: NodePlace,
    push_endpoint: ScriptedEndpoint,
) -> AsyncIterator[HttpNode]:
    async with running_node(
        node_place, push_endpoint=push_endpoint.url,
        **UNTHROTTLED,
    ) as running:  # fmt: skip
        context = AppContext(running.node)
        node = HttpNode(running, create_app(context), context)
        for name, (codes, roles) in CLIENTS.items():
            await node.add_client(name, codes, roles)
        yield node


@pytest.fixture
async def served(http_node: HttpNode) -> AsyncIterator[HttpNode]:
    """`http_node`, also listening on a loopback port (its `base_url`)."""
    port = free_port()
    settings = http_node.context.settings.model_copy(update={"listen": f"127.0.0.1:{port}"})
    server = http_server(http_node.app, settings)
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    http_node.base_url = f"http://127.0.0.1:{port}"
    try:
        yield http_node
    finally:
        server.should_exit = True
        await task
