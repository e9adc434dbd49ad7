"""Every route of the OpenAPI document, tried with the wrong client: 401 or 403, never data
(404 where another agency's message or document is looked up: the same answer as for one that
does not exist, so no caller learns which ids exist).

The table below names, for each route, the calls that must be refused. A route added to the API
without an entry here fails `test_every_route_of_the_openapi_document_has_its_wrong_clients`,
so no route escapes the check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from axis.store.credentials import Role
from tests.axis.http.conftest import HttpNode
from tests.support.packets import document
from tests.support.running_node import G22, H39, H41, H53, signed

pytestmark = pytest.mark.integration

PUBLIC = {("get", "/healthz"), ("get", "/readyz")}
"""Routes anyone may call: they tell only whether the node works."""

AGENCY_ONLY = ["clerk-g22", "operator", "authority"]
OPERATOR_ONLY = ["g22", "h41", "clerk-g22", "authority"]
AUTHORITY_ONLY = ["g22", "operator", "clerk-g22"]


@dataclass(frozen=True)
class Attempt:
    client: str
    """A client name of the fixture, or 'anonymous', 'bad-secret', 'disabled'."""
    path: str
    expected: int
    query: dict[str, str] | None = None
    body: Any = None


def wrong_clients(
    message_id: str, document_id: str, packet: bytes
) -> dict[tuple[str, str], list[Attempt]]:
    """Per route (method, OpenAPI path): the refused calls, with their concrete path."""
    fetch = f"/v1/packets/{message_id}"
    ack = f"/v1/inbox/{message_id}/ack"
    done = {"ack": "done"}
    pause = {"reason": "test"}
    change_set = {"effective": "2026-01-01T00:00:00+07:00", "reason": "test", "changes": []}
    table: dict[tuple[str, str], list[Attempt]] = {
        # Documents: agencies only, and only for their own codes.
        ("post", "/v1/packets"): [
            Attempt("h41", "/v1/packets", 403, body=packet),  # G22's packet sent by H41
            *[Attempt(c, "/v1/packets", 403, body=packet) for c in AGENCY_ONLY],
        ],
        ("get", "/v1/inbox"): [
            Attempt("h53", "/v1/inbox", 403, query={"code": H41}),
            *[Attempt(c, "/v1/inbox", 403) for c in AGENCY_ONLY],
        ],
        ("get", "/v1/packets/{message_id}"): [
            Attempt("h53", fetch, 404),  # H41's packet
            Attempt("g22", fetch, 404),  # its sender: not in its inbox
            *[Attempt(c, fetch, 403) for c in AGENCY_ONLY],
        ],
        ("post", "/v1/inbox/{message_id}/ack"): [
            Attempt("h53", ack, 404, body=done),
            *[Attempt(c, ack, 403, body=done) for c in AGENCY_ONLY],
        ],
        ("get", "/v1/sent"): [
            Attempt("h41", "/v1/sent", 403, query={"code": G22}),
            *[Attempt(c, "/v1/sent", 403) for c in AGENCY_ONLY],
        ],
        ("get", "/v1/tracking/{key}"): [
            Attempt("h53", f"/v1/tracking/{message_id}", 404),
            Attempt("h53", f"/v1/tracking/{document_id}", 404),
            Attempt("authority", f"/v1/tracking/{message_id}", 403),
        ],
        # The registry: read by every client; change sets by the authority only.
        ("get", "/v1/registry/units"): [],
        ("get", "/v1/registry/units/{code}"): [],
        ("get", "/v1/registry/changes"): [],
        ("get", "/v1/registry/snapshot"): [],
        ("post", "/v1/registry/changesets"): [
            Attempt(c, "/v1/registry/changesets", 403, body=change_set) for c in AUTHORITY_ONLY
        ],
        # A preview: the authority, and any node's operators.
        ("post", "/v1/registry/preview"): [
            Attempt(c, "/v1/registry/preview", 403, body=change_set)
            for c in ("g22", "h41", "clerk-g22")
        ],
        # Operators only.
        ("get", "/v1/dead-letters"): [Attempt(c, "/v1/dead-letters", 403) for c in OPERATOR_ONLY],
        ("get", "/v1/dead-letters/{dead_letter_id}"): [
            Attempt(c, "/v1/dead-letters/1", 403) for c in OPERATOR_ONLY
        ],
        ("post", "/v1/dead-letters/replay"): [
            Attempt(c, "/v1/dead-letters/replay", 403, body={"recipient": G22})
            for c in OPERATOR_ONLY
        ],
        ("get", "/v1/destinations/paused"): [
            Attempt(c, "/v1/destinations/paused", 403) for c in OPERATOR_ONLY
        ],
        ("post", "/v1/destinations/{code}/pause"): [
            Attempt(c, f"/v1/destinations/{H41}/pause", 403, body=pause) for c in OPERATOR_ONLY
        ],
        ("post", "/v1/destinations/{code}/resume"): [
            Attempt(c, f"/v1/destinations/{H41}/resume", 403) for c in OPERATOR_ONLY
        ],
        ("get", "/v1/clients"): [Attempt(c, "/v1/clients", 403) for c in OPERATOR_ONLY],
        ("post", "/v1/clients/{client_id}/rebind"): [
            Attempt(c, "/v1/clients/h41/rebind", 403, body={"from": H39, "to": H53})
            for c in OPERATOR_ONLY
        ],
        ("post", "/v1/clients"): [
            Attempt(c, "/v1/clients", 403, body={"name": "x", "roles": ["operator"]})
            for c in OPERATOR_ONLY
        ],
        ("post", "/v1/clients/{client_id}/disable"): [
            Attempt(c, "/v1/clients/h41/disable", 403) for c in OPERATOR_ONLY
        ],
        ("post", "/v1/clients/{client_id}/rotate"): [
            Attempt(c, "/v1/clients/h41/rotate", 403) for c in OPERATOR_ONLY
        ],
        ("put", "/v1/clients/{client_id}/certificate"): [
            Attempt(c, "/v1/clients/h41/certificate", 403, body={"sha256": "ab" * 32})
            for c in OPERATOR_ONLY
        ],
        ("delete", "/v1/clients/{client_id}/certificate"): [
            Attempt(c, "/v1/clients/h41/certificate", 403) for c in OPERATOR_ONLY
        ],
        ("put", "/v1/clients/{client_id}/strict-parameters"): [
            Attempt(c, "/v1/clients/h41/strict-parameters", 403, body={"strict": True})
            for c in OPERATOR_ONLY
        ],
        ("put", "/v1/clients/{client_id}/signature-policy"): [
            Attempt(c, "/v1/clients/h41/signature-policy", 403, body={"policy": "node-signs"})
            for c in OPERATOR_ONLY
        ],
        ("get", "/v1/audit"): [Attempt(c, "/v1/audit", 403) for c in OPERATOR_ONLY],
        ("get", "/metrics"): [Attempt(c, "/metrics", 403) for c in OPERATOR_ONLY],
    }
    # Without a valid client, every route but the public ones answers 401.
    for (method, _), attempts in table.items():
        concrete = attempts[0] if attempts else None
        path = concrete.path if concrete else ""
        body = concrete.body if concrete else None
        query = concrete.query if concrete else None
        attempts.extend(
            Attempt(who, path, 401, query=query, body=body)
            for who in ("anonymous", "bad-secret", "disabled")
        )
        del method
    return table


REGISTRY_PATHS = {
    "/v1/registry/units": "/v1/registry/units",
    "/v1/registry/units/{code}": f"/v1/registry/units/{H41}",
    "/v1/registry/changes": "/v1/registry/changes",
    "/v1/registry/snapshot": "/v1/registry/snapshot",
}


async def call(node: HttpNode, method: str, attempt: Attempt) -> httpx.Response:
    secrets = {"anonymous": None, "bad-secret": "axk_not-a-secret-of-anyone-at-all"}
    if attempt.client in secrets:
        client = (
            node.client(secret=secrets[attempt.client])
            if secrets[attempt.client]
            else (node.client())
        )
    else:
        client = node.client(attempt.client)
    async with client:
        if isinstance(attempt.body, bytes):
            return await client.request(method, attempt.path, params=attempt.query,
                                        content=attempt.body)  # fmt: skip
        content = json.dumps(attempt.body).encode() if attempt.body is not None else None
        headers = {"Content-Type": "application/json"} if content is not None else {}
        return await client.request(
            method, attempt.path, params=attempt.query, content=content, headers=headers
        )


async def test_every_route_of_the_openapi_document_refuses_the_wrong_client(
    http_node: HttpNode,
) -> None:
    running = http_node.running
    packet = signed(document(G22, [H41], 1), running.pki, G22)
    _, result = await running.send(G22, document(G22, [H41], 2))
    await running.landed(H41, result.message_id)
    await http_node.add_client("disabled", [H41], [Role.AGENCY, Role.OPERATOR])
    async with http_node.context.node.sessions.begin() as session:
        await http_node.context.services.clients.disable(session, "disabled", at=datetime.now(UTC))

    table = wrong_clients(str(result.message_id), result.document_id, packet)
    for (method, path), attempts in table.items():
        if not attempts[0].path:  # registry reads: only the 401s, with a concrete path
            for attempt in attempts:
                object.__setattr__(attempt, "path", REGISTRY_PATHS[path])
        for attempt in attempts:
            reply = await call(http_node, method, attempt)
            where = f"{method.upper()} {attempt.path} as {attempt.client}"
            assert reply.status_code == attempt.expected, (
                f"{where}: {reply.status_code} {reply.text}"
            )
            body = reply.json()
            assert set(body) == {"error"}, f"{where} answered data: {body}"
            assert body["error"]["code"] and body["error"]["message"], where

    # The document itself was not touched by any refused call.
    async with http_node.client("h41") as h41:
        page = (await h41.get("/v1/inbox")).json()
    (item,) = [i for i in page["items"] if i["message_id"] == str(result.message_id)]
    assert (item["fetched_at"], item["ack"]) == (None, None)


async def test_every_route_of_the_openapi_document_has_its_wrong_clients(
    http_node: HttpNode,
) -> None:
    async with http_node.client() as anonymous:
        document_ = (await anonymous.get("/openapi.json")).json()
    routes = {
        (method, path) for path, operations in document_["paths"].items() for method in operations
    }
    covered = set(wrong_clients("m", "d", b"p")) | PUBLIC
    assert routes == covered


async def test_public_routes_answer_without_a_client(http_node: HttpNode) -> None:
    async with http_node.client() as anonymous:
        assert (await anonymous.get("/healthz")).json() == {"status": "ok"}
        ready = await anonymous.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert {name for name, check in ready.json()["checks"].items() if check["ok"]} == {
        "database", "broker", "registry", "workers",
    }  # fmt: skip
