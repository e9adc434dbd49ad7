"""The node serving TLS itself: its files checked at start-up, client certificates required or
optional, and clients bound to a certificate on every face (bearer, SDK, dashboard), over a real
uvicorn server as `axis serve` runs it (real Kafka and PostgreSQL behind the node)."""

from __future__ import annotations

import asyncio
import os
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from axis.http.server import http_server
from axis.http.tls import TlsError, server_tls
from axis.settings import load_settings
from axis.store.credentials import Role
from tests.axis.http.conftest import HttpNode
from tests.axis.http.test_dashboard import sign_in
from tests.support.cli import run_axis
from tests.support.postgres import free_port
from tests.support.running_node import G22
from tests.support.tls import TlsPki, write_tls_pki
from tests.support.vxp_sdk import KnobstickService, VnptProperties, send


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TlsPki:
    return write_tls_pki(tmp_path_factory.mktemp("tls"), ["dms", "clerk", "other"])


def test_the_files_are_checked_with_a_code_and_a_sentence(pki: TlsPki, tmp_path: Path) -> None:
    def judged(**files: Path) -> TlsError:
        settings = load_settings(data_dir=tmp_path, **{f"tls_{k}": v for k, v in files.items()})
        with pytest.raises(TlsError) as refused:
            server_tls(settings)
        return refused.value

    good = {"cert_file": pki.server.certificate, "key_file": pki.server.key}
    assert server_tls(load_settings(data_dir=tmp_path, **{f"tls_{k}": v for k, v in good.items()}))
    missing = judged(cert_file=tmp_path / "nope.pem", key_file=pki.server.key)
    assert missing.code == "TLS_FILE_MISSING" and "nope.pem" in missing.message
    mismatch = judged(cert_file=pki.server.certificate, key_file=pki.clients["dms"].key)
    assert mismatch.code == "TLS_KEY_MISMATCH"
    not_pem = judged(cert_file=pki.server.key, key_file=pki.server.key)
    assert not_pem.code == "TLS_CERT_INVALID"
    no_ca = judged(**good, client_ca_file=pki.server.key)
    assert no_ca.code == "TLS_CERT_INVALID" and "AXIS_TLS_CLIENT_CA_FILE" in no_ca.message
    with pytest.raises(ValueError, match="AXIS_TLS_CERT_FILE and AXIS_TLS_KEY_FILE go together"):
        load_settings(data_dir=tmp_path, tls_cert_file=pki.server.certificate)
    with pytest.raises(ValueError, match="AXIS_TLS_CLIENT_CA_FILE needs TLS"):
        load_settings(data_dir=tmp_path, tls_client_ca_file=pki.ca)


@asynccontextmanager
async def tls_served(node: HttpNode, pki: TlsPki, client_cert: str) -> AsyncIterator[str]:
    """`node`'s app over HTTPS with client certificates `required` or `optional`; its URL."""
    port = free_port()
    settings = node.context.settings.model_copy(
        update={
            "listen": f"127.0.0.1:{port}", "tls_cert_file": pki.server.certificate,
            "tls_key_file": pki.server.key, "tls_client_ca_file": pki.ca,
            "tls_client_cert": client_cert,
        }
    )  # fmt: skip
    server = http_server(node.app, settings)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"https://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def https(url: str, verify: ssl.SSLContext, secret: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    return httpx.AsyncClient(base_url=url, verify=verify, headers=headers, timeout=30)


def test_serve_refuses_to_start_with_a_key_that_is_not_its_certificates(
    pki: TlsPki, tmp_path: Path
) -> None:
    env = {
        **os.environ, "AXIS_DATA_DIR": str(tmp_path),
        "AXIS_TLS_CERT_FILE": str(pki.server.certificate),
        "AXIS_TLS_KEY_FILE": str(pki.clients["dms"].key),
    }  # fmt: skip
    env.pop("AXIS_CONFIG", None)
    done = run_axis(["serve"], env, cwd=tmp_path, timeout=60)
    assert done.returncode == 1
    assert "TLS_KEY_MISMATCH: AXIS_TLS_KEY_FILE" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.integration
async def test_a_required_client_certificate_is_checked_in_the_handshake(
    http_node: HttpNode, pki: TlsPki
) -> None:
    async with tls_served(http_node, pki, "required") as url:
        async with https(url, pki.client_context("dms"), http_node.secrets["g22"]) as client:
            answer = await client.get("/v1/inbox")
        assert answer.status_code == 200, answer.text
        for context in (pki.client_context(), pki.client_context("foreign")):
            async with https(url, context, http_node.secrets["g22"]) as client:
                with pytest.raises(httpx.TransportError):
                    await client.get("/v1/inbox")
        async with https(url, ssl.create_default_context()) as stranger:
            with pytest.raises(httpx.ConnectError):  # the node's certificate is not trusted
                await stranger.get("/healthz")


@pytest.mark.integration
async def test_a_client_bound_to_a_certificate_is_refused_without_it_on_every_face(
    http_node: HttpNode, pki: TlsPki
) -> None:
    hmac_secret = "vxp.g22/used+as+raw+UTF8+bytes=="
    await http_node.add_client("vxp.g22", [G22], [Role.AGENCY], hmac=True, secret=hmac_secret)
    await http_node.add_client("clerk-bound", [G22], [Role.CLERK])
    async with tls_served(http_node, pki, "optional") as url:
        anonymous = pki.client_context()
        async with https(url, anonymous, http_node.secrets["operator"]) as operator:
            for client_id, holder in (("g22", "dms"), ("vxp.g22", "dms"), ("clerk-bound", "clerk")):
                bound = await operator.put(
                    f"/v1/clients/{client_id}/certificate",
                    json={"certificate": pki.clients[holder].certificate.read_text()},
                )
                assert bound.json()["certificate_sha256"] == pki.clients[holder].sha256
            audit = (await operator.get("/v1/audit", params={"limit": 3})).json()
        assert {e["action"] for e in audit} == {"clients.bind_certificate"}

        for context, status in (
            (anonymous, 401), (pki.client_context("other"), 401), (pki.client_context("dms"), 200),
        ):  # fmt: skip
            async with https(url, context, http_node.secrets["g22"]) as client:
                answer = await client.get("/v1/inbox")
            assert answer.status_code == status, answer.text
            if status == 401:
                assert answer.json()["error"]["code"] == "AUTH_CERTIFICATE_MISMATCH"

        sdk = KnobstickService(VnptProperties(f"{url}/vxp", "vxp.g22", hmac_secret))
        for holder, outcome in (("other", "FAIL"), (None, "FAIL"), ("dms", "OK")):
            request = sdk.get_received_edoc_list_request({"messagetype": "edoc"})
            reply = await asyncio.to_thread(
                send, request, f"{url}/vxp", tls=pki.client_context(holder)
            )
            assert reply.json()["status"] == outcome, reply.body
            if outcome == "FAIL":
                assert "AUTH_CERTIFICATE_MISMATCH" in reply.json()["ErrorDesc"]

        for holder, status in ((None, 401), ("clerk", 303)):
            async with httpx.AsyncClient(
                base_url=url, verify=pki.client_context(holder), timeout=30
            ) as browser:
                answer = await sign_in(browser, http_node, "clerk-bound")
                assert answer.status_code == status, answer.text
                if status == 401:
                    assert "chứng thư số máy khách đã đăng ký" in answer.text
                else:
                    assert "secure" in answer.headers["set-cookie"].lower()
