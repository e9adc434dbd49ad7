"""The `axis` commands that talk to a node over HTTP, run as a user runs them (separate
processes, a profiles file of their own) against a node listening on loopback: documents,
registry, operators (dead letters, destinations, clients, `clients add --local`), profiles.

The node runs in this test's event loop, so every command is run from a thread
(`asyncio.to_thread`): a blocking `subprocess.run` here would stop the node it calls."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from axis.cli.profiles import Profile, write_profiles
from axis.client import AsyncAxisClient, AxisError
from axis.devtools.dev_pki import write_dev_pki
from routing.lifecycle import Phase
from tests.axis.http.conftest import HttpNode
from tests.support.bus import EndpointServer, ScriptedEndpoint
from tests.support.cli import run_axis
from tests.support.packets import document
from tests.support.postgres import free_port
from tests.support.running_node import G22, H39, H41, H53, H99, NEWCOMER, PUSHED, signed

pytestmark = pytest.mark.integration

Result = subprocess.CompletedProcess[str]


class Axis:
    """`axis ...` in a child process with the test's profiles file."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    async def __call__(
        self, *args: str, env: dict[str, str] | None = None, stdin: str | None = None
    ) -> Result:
        def run() -> Result:
            return run_axis(list(args), env or self.env, stdin=stdin)

        return await asyncio.to_thread(run)

    async def ok(self, *args: str) -> Result:
        done = await self(*args)
        assert done.returncode == 0, f"axis {' '.join(args)}: {done.stdout}{done.stderr}"
        return done

    async def json(self, *args: str) -> Any:
        return json.loads((await self.ok(*args, "--json")).stdout)

    async def refused(self, code: str, *args: str) -> Result:
        done = await self(*args)
        assert done.returncode == 1, f"axis {' '.join(args)}: {done.stdout}{done.stderr}"
        assert f"{code}: " in done.stderr, done.stderr
        return done


def _env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "AXIS_PROFILES_FILE": str(tmp_path / "profiles.toml"), "COLUMNS": "200"}
    for name in ("AXIS_CONFIG", "AXIS_PROFILE"):
        env.pop(name, None)
    return env


@pytest.fixture
def axis(served: HttpNode, tmp_path: Path) -> Axis:
    """The command, with a profile per test client (named as the client)."""
    profiles = {
        name: Profile(name, served.base_url, secret) for name, secret in served.secrets.items()
    }
    write_profiles(tmp_path / "profiles.toml", profiles)
    return Axis(_env(tmp_path))


async def test_a_document_is_sent_received_fetched_acknowledged_and_tracked(
    served: HttpNode, axis: Axis, tmp_path: Path
) -> None:
    pki = served.running.pki
    first, second, unsigned = tmp_path / "a.xml", tmp_path / "b.xml", tmp_path / "c.xml"
    first.write_bytes(signed(document(G22, [H41, H39], 41), pki, G22))
    second.write_bytes(signed(document(G22, [H99], 42), pki, G22))
    unsigned.write_bytes(document(G22, [H41], 43))

    sent = await axis("send", str(first), str(second), str(unsigned), "--profile", "g22")
    assert sent.returncode == 1, "a rejected recipient and a refused packet"
    assert f"  {H41}  routed" in sent.stdout
    assert f"  {H39}  redirected to {H53}" in sent.stdout
    assert f"  {H99}  rejected " in sent.stdout
    assert f"{unsigned}: " in sent.stderr
    (again,) = await axis.json("send", str(first), "--profile", "g22")
    assert again["result"]["duplicate"] is True
    message_id = again["result"]["message_id"]
    assert f"{first}: message {message_id}" in sent.stdout

    await served.running.landed(H53, uuid.UUID(message_id))
    page = await axis.json("inbox", "--kind", "edoc", "--pending", "--profile", "h53")
    assert [i["message_id"] for i in page["items"]] == [message_id]
    table = (await axis.ok("inbox", "--profile", "h53")).stdout
    assert message_id in table and "1 item(s)" in table

    output = tmp_path / "fetched.xml"
    await axis.ok("fetch", message_id, "-o", str(output), "--profile", "h53")
    assert output.read_bytes() == first.read_bytes()
    to_stdout = await axis.ok("fetch", message_id, "--profile", "h53")
    assert to_stdout.stdout == first.read_text(encoding="utf-8")
    await axis.refused("INBOX_ITEM_NOT_FOUND", "fetch", message_id, "--profile", "g22")

    done = await axis.ok("ack", message_id, "done", "--detail", "registered", "--profile", "h53")
    assert done.stdout.strip() == f"{message_id}: done"
    assert (
        "recorded before" in (await axis.ok("ack", message_id, "done", "--profile", "h53")).stdout
    )
    await axis.refused("INBOX_ACK_CONFLICT", "ack", message_id, "fail", "--profile", "h53")

    await served.running.reaches(uuid.UUID(message_id), H53, Phase.ACKNOWLEDGED)
    (report,) = await axis.json("track", message_id, "--profile", "g22")
    phases = {r["recipient"]: r["phase"] for r in report["recipients"]}
    assert phases[H53] == "acknowledged"
    shown = (await axis.ok("track", message_id, "--profile", "g22")).stdout
    assert f"{H53} (addressed to {H39}): acknowledged" in shown
    await axis.refused("TRACKING_NOT_FOUND", "track", str(uuid.uuid4()), "--profile", "g22")


async def test_the_registry_is_read_and_changed_over_http(axis: Axis, tmp_path: Path) -> None:
    page = await axis.json("registry", "units", "-q", "Nghệ An", "--profile", "h41")
    assert [u["code"] for u in page["units"]] == [H41]
    listed = (await axis.ok("registry", "units", "--status", "closed", "--profile", "h41")).stdout
    assert H39 in listed and "of 2 unit(s)" in listed
    shown = (await axis.ok("registry", "show", H39, "--profile", "h41")).stdout
    assert f"a packet to {H39}: redirected to {H53}" in shown
    detail = await axis.json("registry", "show", H39, "--profile", "h41")
    assert detail["resolve"]["target"] == H53
    versions = await axis.json("registry", "changes", "--profile", "h41")
    assert [v["version"] for v in versions] == [1, 2]

    change_set = tmp_path / "newcomer.json"
    change_set.write_text(json.dumps({
        "effective": "2025-08-01T00:00:00+07:00", "reason": "a new unit",
        "changes": [{"op": "create", "unit": {"code": NEWCOMER, "name": "Sở mới", "level": 1}}],
    }), encoding="utf-8")  # fmt: skip
    await axis.refused("ROLE_REQUIRED", "registry", "submit", str(change_set), "--profile", "h41")
    applied = await axis.ok("registry", "submit", str(change_set), "--profile", "authority")
    assert applied.stdout.startswith("version 3 applied")
    assert (
        NEWCOMER in (await axis.ok("registry", "units", "-q", NEWCOMER, "--profile", "h41")).stdout
    )
    await axis.refused(
        "REGISTRY_SNAPSHOT_UNAVAILABLE", "registry", "snapshot", "-o", str(tmp_path / "s.json"),
        "--profile", "h41",
    )  # fmt: skip


async def test_pause_and_resume_are_audited_as_the_operators_client(
    served: HttpNode, axis: Axis
) -> None:
    pause = ("destinations", "pause", H53, "--reason", "DMS migration", "--profile", "operator")
    assert (await axis.ok(*pause)).stdout.strip() == f"{H53} paused"
    listed = await axis.json("destinations", "list", "--profile", "operator")
    assert [(p["code"], p["reason"]) for p in listed] == [(H53, "DMS migration")]
    assert "was paused already" in (await axis.ok(*pause)).stdout
    table = (await axis.ok("destinations", "list", "--profile", "operator")).stdout
    assert H53 in table and "client:operator" in table
    await axis.ok("destinations", "resume", H53, "--profile", "operator")
    assert (
        "no destination is paused"
        in (await axis.ok("destinations", "list", "--profile", "operator")).stdout
    )
    await axis.refused("ROLE_REQUIRED", "destinations", "list", "--profile", "g22")

    async with AsyncAxisClient(served.base_url, served.secrets["operator"]) as operator:
        entries = [
            (e.actor, e.action, e.target)
            for e in reversed(await operator.audit())
            if e.action.startswith("destinations.")
        ]
    assert entries == [
        ("client:operator", "destinations.pause", H53),
        ("client:operator", "destinations.pause", H53),
        ("client:operator", "destinations.resume", H53),
    ]


async def test_a_dead_letter_is_listed_shown_and_replayed_once(
    served: HttpNode, axis: Axis, push_endpoint: ScriptedEndpoint
) -> None:
    """A push that nobody answers is given up; once the endpoint is up, replay delivers it."""
    _, result = await served.running.send(G22, document(G22, [PUSHED], 51))
    await served.running.reaches(result.message_id, PUSHED, Phase.DEAD)

    (letter,) = await axis.json("dlq", "list", "--profile", "operator")
    assert (letter["recipient"], letter["message_id"]) == (PUSHED, str(result.message_id))
    table = (await axis.ok("dlq", "list", "--profile", "operator")).stdout
    assert "1 dead letter(s)" in table
    shown = json.loads(
        (await axis.ok("dlq", "show", str(letter["id"]), "--profile", "operator")).stdout
    )
    assert shown["record"] is not None and shown["last_error"]

    async with EndpointServer(push_endpoint):
        replayed = await axis.ok("dlq", "replay", str(letter["id"]), "--profile", "operator")
        assert f"replayed {letter['id']}: {result.message_id} -> {PUSHED}" in replayed.stdout
        await served.running.reaches(result.message_id, PUSHED, Phase.DELIVERED)
    assert push_endpoint.accepted[str(result.message_id)] == 1
    await axis.refused(
        "DEAD_LETTER_ALREADY_REPLAYED", "dlq", "replay", str(letter["id"]), "--profile", "operator"
    )
    await axis.refused("DEAD_LETTER_NOT_FOUND", "dlq", "replay", "424242", "--profile", "operator")
    await axis.refused("REPLAY_SELECTION_MISSING", "dlq", "replay", "--profile", "operator")


async def test_clients_are_added_rotated_and_disabled_over_http(
    served: HttpNode, axis: Axis, tmp_path: Path
) -> None:
    listed = await axis.json("clients", "list", "--profile", "operator")
    assert {"g22", "operator"} <= {c["client_id"] for c in listed}
    added = await axis.ok(
        "clients", "add", "--name", "H41's archive", "--role", "agency", "--code", H41,
        "--id", "h41-archive", "--profile", "operator",
    )  # fmt: skip
    assert "client h41-archive created" in added.stdout
    assert "cannot show it again" in added.stderr
    secret = added.stdout.strip().splitlines()[-1]
    profiles = tmp_path / "profiles.toml"
    write_profiles(profiles, {"archive": Profile("archive", served.base_url, secret)})
    await axis.ok("inbox", "--profile", "archive")
    await axis.refused("ROLE_REQUIRED", "clients", "list", "--profile", "archive")
    await axis.refused("PROFILE_MISSING", "clients", "list", "--profile", "operator")

    write_profiles(
        profiles,
        {
            "operator": Profile("operator", served.base_url, served.secrets["operator"]),
            "archive": Profile("archive", served.base_url, secret),
        },
    )
    rotated = await axis.json("clients", "rotate", "h41-archive", "--profile", "operator")
    await axis.refused("AUTH_INVALID", "inbox", "--profile", "archive")
    assert rotated["secret"] != secret
    await axis.ok("clients", "disable", "h41-archive", "--profile", "operator")
    table = (await axis.ok("clients", "list", "--profile", "operator")).stdout
    assert "h41-archive" in table and "disabled" in table
    await axis.refused(
        "CLIENT_EXISTS", "clients", "add", "--name", "x", "--role", "agency", "--code", H41,
        "--id", "h41-archive", "--profile", "operator",
    )  # fmt: skip


async def test_chosen_secrets_must_be_strong_unless_an_sdk_secret_is_imported_on_purpose(
    served: HttpNode, axis: Axis, tmp_path: Path
) -> None:
    add = ("clients", "add", "--name", "SDK of H41", "--role", "agency", "--code", H41, "--hmac",
           "--secret-stdin", "--profile", "operator")  # fmt: skip
    weak = await axis(*add, "--id", "vxp.weak", stdin="internationalization\n")
    assert weak.returncode == 1 and "CLIENT_SECRET_WEAK: " in weak.stderr
    assert "--allow-weak-secret" in weak.stderr
    short = await axis(*add, "--id", "vxp.weak", stdin="vnpt@2019\n")
    assert short.returncode == 1 and "fewer than 16" in short.stderr
    imported = await axis(*add, "--id", "vxp.weak", "--allow-weak-secret", stdin="vnpt@2019\n")
    assert imported.returncode == 0, imported.stderr
    assert "sealed under the node's secret key" in imported.stderr
    assert "signs the national SDK's requests only" in imported.stderr
    strong = await axis(*add, "--id", "vxp.strong", stdin="B-secret/used+as+raw+UTF8+bytes==\n")
    assert strong.returncode == 0, strong.stderr
    assert "keeps only its hash" not in strong.stderr
    operator_weak = await axis(
        "clients", "add", "--name", "x", "--role", "operator", "--hmac", "--secret-stdin",
        "--allow-weak-secret", "--profile", "operator", stdin="vnpt@2019\n",
    )  # fmt: skip
    assert "CLIENT_WEAK_SECRET_NOT_SDK: " in operator_weak.stderr
    async with AsyncAxisClient(served.base_url, "vnpt@2019") as weak_bearer:
        with pytest.raises(AxisError) as refused:
            await weak_bearer.inbox()
    assert refused.value.code == "AUTH_INVALID", "a weak SDK secret is no API key"
    async with AsyncAxisClient(served.base_url, served.secrets["operator"]) as operator:
        entries = {e.target: e.detail for e in await operator.audit(limit=10)}
        listed = {c.client_id: c for c in await operator.clients()}
    assert entries["vxp.weak"]["weak_secret_override"] is True
    assert entries["vxp.strong"]["secret"] == "chosen"
    assert (listed["vxp.weak"].weak_secret, listed["vxp.strong"].weak_secret) == (True, False)

    certificate = tmp_path / "client.pem"
    write_dev_pki(tmp_path / "pki", [H41])
    certificate.write_bytes((tmp_path / "pki" / f"{H41}.pem").read_bytes())
    bound = await axis.json("clients", "bind-certificate", "vxp.strong", str(certificate),
                            "--profile", "operator")  # fmt: skip
    assert len(bound["certificate_sha256"]) == 64
    await axis.ok("clients", "strict-parameters", "vxp.strong", "--profile", "operator")
    table = (await axis.ok("clients", "list", "--profile", "operator")).stdout
    assert "strict" in table and bound["certificate_sha256"][:16] in table
    unbound = await axis.json(
        "clients", "unbind-certificate", "vxp.strong", "--profile", "operator"
    )
    assert unbound["certificate_sha256"] is None
    off = await axis.json(
        "clients", "strict-parameters", "vxp.strong", "--off", "--profile", "operator"
    )
    assert off["strict_parameters"] is False
    async with AsyncAxisClient(served.base_url, served.secrets["operator"]) as operator:
        actions = [e.action for e in await operator.audit(limit=4)]
    assert actions == [
        "clients.strict_parameters", "clients.unbind_certificate", "clients.strict_parameters",
        "clients.bind_certificate",
    ]  # fmt: skip


async def test_the_first_operator_is_added_locally_on_the_nodes_machine(
    served: HttpNode, axis: Axis, tmp_path: Path
) -> None:
    settings = served.context.settings
    local = {
        **axis.env, "AXIS_DATABASE_URL": settings.database_url,
        "AXIS_DATABASE_SCHEMA": settings.database_schema or "",
        "AXIS_DATA_DIR": str(settings.data_dir),
    }  # fmt: skip
    added = await axis(
        "clients", "add", "--local", "--name", "first operator", "--role", "operator",
        "--id", "ops-1", "--actor", "root@axis-node", "--json", env=local,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    issued = json.loads(added.stdout)
    assert (issued["client"]["client_id"], issued["client"]["roles"]) == ("ops-1", ["operator"])

    async with AsyncAxisClient(served.base_url, issued["secret"]) as operator:
        assert "ops-1" in {c.client_id for c in await operator.clients()}
        entries = [(e.actor, e.action, e.target) for e in await operator.audit(limit=5)]
    assert ("root@axis-node", "clients.add", "ops-1") in entries
    again = await axis(
        "clients", "add", "--local", "--name", "x", "--role", "operator", "--id", "ops-1",
        env=local,
    )  # fmt: skip
    assert again.returncode == 1 and "CLIENT_EXISTS: " in again.stderr


async def test_profiles_are_added_listed_and_chosen_without_showing_secrets(
    served: HttpNode, tmp_path: Path
) -> None:
    env = _env(tmp_path)
    axis = Axis(env)
    profiles = Path(env["AXIS_PROFILES_FILE"])
    await axis.refused("PROFILE_MISSING", "inbox")
    assert "axis profile add default" in (await axis("inbox")).stderr

    def add(name: str, url: str, secret: str) -> Result:
        command = [sys.executable, "-m", "axis.cli.main", "profile", "add", name, "--url", url]
        return subprocess.run(command, env=env, input=f"{secret}\n", capture_output=True,
                              text=True, timeout=60, check=False)  # fmt: skip

    secret = served.secrets["h41"]
    added = await asyncio.to_thread(add, "default", served.base_url + "/", secret)
    assert added.returncode == 0, added.stderr
    assert stat.S_IMODE(profiles.stat().st_mode) == 0o600
    down = f"http://127.0.0.1:{free_port()}"
    assert (await asyncio.to_thread(add, "down", down, "axk_some-secret-value")).returncode == 0

    listed = await axis.json("profile", "list")
    assert listed == [
        {"name": "default", "url": served.base_url, "current": True},
        {"name": "down", "url": down, "current": False},
    ]
    table = await axis.ok("profile", "list")
    assert secret not in table.stdout + table.stderr
    await axis.ok("inbox")
    unreachable = await axis.refused("NODE_UNREACHABLE", "inbox", "--profile", "down")
    assert down in unreachable.stderr
    chosen = await axis("inbox", env={**env, "AXIS_PROFILE": "down"})
    assert chosen.returncode == 1 and "NODE_UNREACHABLE" in chosen.stderr
