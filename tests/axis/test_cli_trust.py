"""`axis trust ...` as an operator runs it against a node's SQLite database: each change is
audited in its own transaction, each refusal is `CODE: sentence` on stderr with exit status 1."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from axis.cli.trust import trust_app
from axis.devtools.dev_pki import Issued, KeyType, issue, new_authority, write_dev_pki
from axis.migrations.runner import upgrade
from axis.store import audit
from axis.store.db import make_engine, session_factory
from axis.store.trust_repository import TrustRepository
from axis.store.trust_tables import trust_revocations
from signing.certificates import facts, pem, pem_bundle, serial_hex

H53 = "000.00.12.H53"
H41 = "000.00.00.H41"
G22 = "000.00.00.G22"
ACTOR = "ops@vpcp"


class Node:
    """A node's data directory with a migrated database, and the CLI pointed at it."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.url = f"sqlite+aiosqlite:///{data_dir / 'axis.db'}"
        self.runner = CliRunner()

    def trust(self, *args: str) -> Result:
        return self.runner.invoke(trust_app, list(args))

    def audit_actions(self) -> list[tuple[str, str, str]]:
        async def read() -> list[audit.AuditEntry]:
            engine = make_engine(self.url)
            try:
                async with session_factory(engine)() as session:
                    return await audit.recent(session)
            finally:
                await engine.dispose()

        return [(e.actor, e.action, e.target) for e in reversed(asyncio.run(read()))]


@pytest.fixture
def bare_node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Node:
    monkeypatch.chdir(tmp_path)  # no ./axis.toml of the developer's is read
    for name in ("AXIS_CONFIG", "AXIS_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AXIS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "250")  # rich tables do not wrap what the tests look for
    return Node(tmp_path / "data")


@pytest.fixture
def node(bare_node: Node) -> Node:
    async def migrate() -> None:
        engine = make_engine(bare_node.url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(migrate())
    return bare_node


@pytest.fixture(scope="module")
def ca() -> Issued:
    return new_authority("CLI test CA", key_type=KeyType.EC)


def _write(path: Path, issued: Issued) -> Path:
    path.write_bytes(pem(issued.certificate))
    return path


def test_add_ca_then_add_then_list_is_audited(node: Node, ca: Issued, tmp_path: Path) -> None:
    other_ca = new_authority("Second CA", key_type=KeyType.EC)
    bundle = tmp_path / "cas.pem"
    bundle.write_bytes(pem_bundle([ca.certificate, other_ca.certificate]))
    h53 = issue(ca, H53, key_type=KeyType.EC)

    added = node.trust("add-ca", str(bundle), "--actor", ACTOR)
    assert added.exit_code == 0, added.stderr
    assert added.stdout.count(f"trusted by {ACTOR}") == 2
    again = node.trust("add-ca", str(_write(tmp_path / "ca.pem", ca)), "--actor", ACTOR)
    assert again.exit_code == 0, again.stderr
    assert "was trusted already" in again.stdout
    cas = json.loads(node.trust("list-ca", "--json").stdout)
    assert sorted(c["subject"] for c in cas) == sorted(
        [ca.certificate.subject.rfc4514_string(), other_ca.certificate.subject.rfc4514_string()]
    )

    authorized = node.trust("add", H53, str(_write(tmp_path / "h53.pem", h53)), "--actor", ACTOR)
    assert authorized.exit_code == 0, authorized.stderr
    assert f"may sign for {H53}" in authorized.stdout

    listed = json.loads(node.trust("list", "--json").stdout)
    described = facts(h53.certificate)
    assert [(e["code"], e["certificate"]["fingerprint"], e["revocation"]) for e in listed] == [
        (H53, described.fingerprint, None)
    ]
    assert listed[0]["not_after"] == described.not_after.isoformat()
    table = node.trust("list")
    assert table.exit_code == 0
    assert H53 in table.stdout and described.serial[:8] in table.stdout
    assert "1 authorization(s)" in table.stdout

    assert node.audit_actions() == [
        (ACTOR, "trust.add_ca", facts(ca.certificate).fingerprint),
        (ACTOR, "trust.add_ca", facts(other_ca.certificate).fingerprint),
        (ACTOR, "trust.add", H53),
    ]


def test_a_refused_certificate_exits_1_and_changes_nothing(
    node: Node, ca: Issued, tmp_path: Path
) -> None:
    foreign = issue(new_authority("Foreign CA", key_type=KeyType.EC), H53, key_type=KeyType.EC)
    assert (
        node.trust("add-ca", str(_write(tmp_path / "ca.pem", ca)), "--actor", ACTOR).exit_code == 0
    )

    unknown = node.trust("add", H53, str(_write(tmp_path / "foreign.pem", foreign)))
    assert unknown.exit_code == 1
    assert unknown.stderr.startswith("TRUST_ISSUER_UNKNOWN: ")
    assert "axis trust add-ca" in unknown.stderr
    not_a_ca = node.trust("add-ca", str(tmp_path / "foreign.pem"))
    assert not_a_ca.exit_code == 1
    assert not_a_ca.stderr.startswith("TRUST_NOT_AN_AUTHORITY: ")
    ca_as_signer = node.trust("add", H53, str(tmp_path / "ca.pem"))
    assert ca_as_signer.exit_code == 1
    assert ca_as_signer.stderr.startswith("TRUST_NOT_A_SIGNING_CERTIFICATE: ")
    missing = node.trust("add", H53, str(tmp_path / "absent.pem"))
    assert missing.exit_code == 1
    assert missing.stderr.startswith("TRUST_FILE_UNREADABLE: ")

    assert json.loads(node.trust("list", "--json").stdout) == []
    assert node.audit_actions() == [(ACTOR, "trust.add_ca", facts(ca.certificate).fingerprint)]


def test_windows_are_given_with_a_time_zone(node: Node, ca: Issued, tmp_path: Path) -> None:
    h53 = _write(tmp_path / "h53.pem", issue(ca, H53, key_type=KeyType.EC))
    assert node.trust("add-ca", str(_write(tmp_path / "ca.pem", ca))).exit_code == 0
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)

    naive = node.trust("add", H53, str(h53), "--not-before", "2026-01-01T00:00:00")
    assert naive.exit_code == 2
    assert "needs a time zone" in naive.output
    backwards = node.trust(
        "add", H53, str(h53), "--not-before", start.isoformat(),
        "--not-after", (start - timedelta(hours=1)).isoformat(),
    )  # fmt: skip
    assert backwards.exit_code == 1
    assert backwards.stderr.startswith("TRUST_BAD_WINDOW: ")

    in_ict = start.astimezone(timezone(timedelta(hours=7))).isoformat()  # the same instant
    windowed = node.trust(
        "add", H53, str(h53), "--not-before", in_ict,
        "--not-after", (start + timedelta(days=30)).isoformat(),
    )  # fmt: skip
    assert windowed.exit_code == 0, windowed.stderr
    (entry,) = json.loads(node.trust("list", "--json").stdout)
    assert datetime.fromisoformat(entry["not_before"]) == start
    assert datetime.fromisoformat(entry["not_after"]) == start + timedelta(days=30)


def test_revoke_keeps_the_earliest_time_and_shows_in_the_list(
    node: Node, ca: Issued, tmp_path: Path
) -> None:
    h53 = issue(ca, H53, key_type=KeyType.EC)
    serial = serial_hex(h53.certificate.serial_number)
    assert node.trust("add-ca", str(_write(tmp_path / "ca.pem", ca))).exit_code == 0
    assert node.trust("add", H53, str(_write(tmp_path / "h53.pem", h53))).exit_code == 0

    first = node.trust(
        "revoke", serial.upper(), "--at", "2026-03-01T00:00:00+07:00",
        "--reason", "key lost", "--actor", ACTOR,
    )  # fmt: skip
    assert first.exit_code == 0, first.stderr
    assert f"serial {serial} revoked from 2026-02-28T17:00:00+00:00" in first.stdout
    assert f"{H53}: " in first.stdout  # names whom it affects
    later = node.trust("revoke", serial, "--at", "2026-04-01T00:00:00Z", "--actor", ACTOR)
    assert later.exit_code == 0, later.stderr
    assert "the earlier time stands" in later.stdout

    (entry,) = json.loads(node.trust("list", "--json").stdout)
    assert entry["revocation"] == {"revoked_at": "2026-02-28T17:00:00+00:00", "reason": "key lost"}
    assert "key lost" in node.trust("list").stdout

    unknown = node.trust("revoke", "abc123", "--actor", ACTOR)
    assert unknown.exit_code == 0
    assert "no authorized certificate has serial abc123" in unknown.stdout
    bad = node.trust("revoke", "not-a-serial", "--actor", ACTOR)
    assert bad.exit_code == 1
    assert bad.stderr.startswith("TRUST_BAD_SERIAL: ")
    assert node.audit_actions()[-3:] == [
        (ACTOR, "trust.revoke", serial),
        (ACTOR, "trust.revoke", serial),
        (ACTOR, "trust.revoke", "abc123"),
    ]

    async def revoked_serials() -> list[str]:
        engine = make_engine(node.url)
        try:
            async with session_factory(engine)() as session:
                rows = await session.execute(trust_revocations.select())
                return sorted(row.serial for row in rows)
        finally:
            await engine.dispose()

    assert asyncio.run(revoked_serials()) == sorted([serial, "abc123"])


def test_import_loads_a_dev_pki_directory_and_list_filters_by_code(
    node: Node, tmp_path: Path
) -> None:
    directory = tmp_path / "pki"
    write_dev_pki(directory, [H53, H41], key_type=KeyType.EC)

    imported = node.trust("import", str(directory), "--actor", ACTOR)
    assert imported.exit_code == 0, imported.stderr
    assert "1 CA(s) added, 0 already trusted, 2 authorization(s)" in imported.stdout
    assert [e["code"] for e in json.loads(node.trust("list", "--json").stdout)] == [H41, H53]
    only = json.loads(node.trust("list", "--code", H41, "--json").stdout)
    assert [(e["code"], e["certificate"]["subject_code"]) for e in only] == [(H41, H41)]

    async def signer_code() -> str:
        engine = make_engine(node.url)
        try:
            async with session_factory(engine)() as session:
                store = await TrustRepository().load(session)
        finally:
            await engine.dispose()
        certificate = next(a.certificate for a in store.authorizations if a.code == H53)
        return store.signer(certificate, H53, at=datetime.now(UTC)).code

    assert asyncio.run(signer_code()) == H53
    not_a_directory = node.trust("import", str(tmp_path / "absent"))
    assert not_a_directory.exit_code == 1
    assert not_a_directory.stderr.startswith("TRUST_DIRECTORY_INVALID: ")
    assert node.audit_actions() == [(ACTOR, "trust.import", str(directory.resolve()))]


def test_a_database_that_was_not_migrated_is_named(bare_node: Node) -> None:
    result = bare_node.trust("list")
    assert result.exit_code == 1
    assert result.stderr.startswith("DATABASE_NOT_MIGRATED: ")
    assert "axis db upgrade" in result.stderr


def test_certificates_expiring_soon_are_listed_soonest_first_and_exit_1(
    node: Node, ca: Issued, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    soon = issue(ca, H41, key_type=KeyType.EC, not_before=now - timedelta(days=10),
                 not_after=now + timedelta(days=5, hours=1))  # fmt: skip
    later = issue(ca, H53, key_type=KeyType.EC, not_before=now - timedelta(days=10),
                  not_after=now + timedelta(days=20, hours=1))  # fmt: skip
    far = issue(ca, G22, key_type=KeyType.EC, not_before=now - timedelta(days=10),
                not_after=now + timedelta(days=400))  # fmt: skip
    assert (
        node.trust("add-ca", str(_write(tmp_path / "ca.pem", ca)), "--actor", ACTOR).exit_code == 0
    )
    for code, issued in ((H41, soon), (H53, later), (G22, far)):
        added = node.trust(
            "add", code, str(_write(tmp_path / f"{code}.pem", issued)), "--actor", ACTOR
        )
        assert added.exit_code == 0, added.stderr

    listed = node.trust("expiring", "--json")
    assert listed.exit_code == 1  # something to act on
    found = json.loads(listed.stdout)
    assert [(e["kind"], e["code"], e["days_left"], e["expired"]) for e in found] == [
        ("authorization", H41, 5, False),
        ("authorization", H53, 20, False),
    ]
    assert found[0]["serial"] == serial_hex(soon.certificate.serial_number)
    narrow = node.trust("expiring", "--days", "7")
    assert narrow.exit_code == 1
    assert H41 in narrow.stdout and H53 not in narrow.stdout
    assert "1 certificate(s) expire within 7 days or have expired" in narrow.stdout
    nothing = node.trust("expiring", "--days", "1")
    assert (nothing.exit_code, nothing.stdout.splitlines()[-1]) == (
        0, "0 certificate(s) expire within 1 days or have expired",
    )  # fmt: skip
