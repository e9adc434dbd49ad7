"""The keys the node signs with for agencies (`node-signs`): sealed under the node's secret key,
or kept in a PKCS#11 token (Debian's SoftHSM here), where they sign without ever leaving it."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pkcs11
import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from axis.devtools.dev_pki import Issued, certify, issue, new_authority
from axis.keys.agency_keys import AgencyKeyError, AgencyKeyStore, NodeAgencySigner
from axis.keys.pkcs11 import Token
from axis.store.db import make_engine, metadata, session_factory
from signing.errors import SignatureError
from signing.signer import sign_packet
from signing.trust import Authorization, TrustStore
from signing.verification import PacketVerifier
from tests.support.packets import document

G22, H41 = "000.00.00.G22", "000.00.00.H41"
SOFTHSM = Path("/usr/lib/softhsm/libsofthsm2.so")
TOKEN_LABEL, PIN = "axis-test", "1234"


@pytest.fixture(scope="module")
def authority() -> Issued:
    return new_authority("Agency keys test CA")


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    import axis.store.tables  # noqa: F401  (register every table on axis.store.db.metadata)

    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


def _verifier(authority: Issued, *grants: Authorization) -> PacketVerifier:
    return PacketVerifier(TrustStore.of([authority.certificate], grants))


async def test_a_sealed_key_signs_for_its_agency_and_only_unseals_under_its_node_key(
    sessions: async_sessionmaker[AsyncSession], authority: Issued
) -> None:
    agency = issue(authority, G22)
    node_key = Fernet.generate_key()
    async with sessions.begin() as session:
        await AgencyKeyStore(node_key).put(session, G22, agency.key, agency.certificate)
    signer = NodeAgencySigner(sessions, AgencyKeyStore(node_key))
    signed = await signer.sign(document(G22, [H41], 1), G22)
    verifier = _verifier(authority, Authorization.for_certificate(G22, agency.certificate))
    assert verifier.verify(signed, at=datetime.now(UTC)).signer.code == G22
    with pytest.raises(SignatureError) as missing:
        await signer.sign(document(H41, [G22], 2), H41)
    assert missing.value.code == "NODE_KEY_MISSING"
    # Sealed under another node's key, it is no key at all (never a crash).
    stranger = NodeAgencySigner(sessions, AgencyKeyStore(Fernet.generate_key()))
    with pytest.raises(SignatureError):
        await stranger.sign(document(G22, [H41], 3), G22)
    # The database holds no clear key.
    async with sessions() as session:
        rows = (await session.execute(metadata.tables["agency_keys"].select())).all()
    assert all(b"PRIVATE KEY" not in row.sealed_key.encode() for row in rows)


async def test_a_key_that_does_not_match_its_certificate_is_refused(
    sessions: async_sessionmaker[AsyncSession], authority: Issued
) -> None:
    one, other = issue(authority, G22), issue(authority, G22)
    async with sessions.begin() as session:
        with pytest.raises(AgencyKeyError) as refused:
            await AgencyKeyStore(Fernet.generate_key()).put(
                session, G22, one.key, other.certificate
            )
    assert refused.value.code == "AGENCY_KEY_UNSUITABLE"


@pytest.fixture(scope="module")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A SoftHSM token `axis-test` (user PIN 1234) holding an RSA key labelled G22; the PIN
    file. One per test process: a PKCS#11 library reads its configuration once."""
    assert SOFTHSM.exists() and shutil.which("softhsm2-util"), (
        "SoftHSM is missing: run scripts/install-prereqs (Debian package softhsm2)"
    )
    root = tmp_path_factory.mktemp("softhsm")
    (root / "tokens").mkdir()
    config = root / "softhsm2.conf"
    config.write_text(f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\n")
    os.environ["SOFTHSM2_CONF"] = str(config)
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", TOKEN_LABEL,
         "--so-pin", "0000", "--pin", PIN],
        check=True, capture_output=True,
    )  # fmt: skip
    token = pkcs11.lib(str(SOFTHSM)).get_token(token_label=TOKEN_LABEL)
    with token.open(rw=True, user_pin=PIN) as session:
        session.generate_keypair(pkcs11.KeyType.RSA, 2048, label=G22, store=True)
    pin = root / "pin"
    pin.write_text(PIN)
    return pin


def _token_public_key() -> rsa.RSAPublicKey:
    token = pkcs11.lib(str(SOFTHSM)).get_token(token_label=TOKEN_LABEL)
    with token.open(user_pin=PIN) as session:
        public = session.get_key(
            object_class=pkcs11.ObjectClass.PUBLIC_KEY, key_type=pkcs11.KeyType.RSA, label=G22
        )
        modulus = int.from_bytes(public[pkcs11.Attribute.MODULUS], "big")
        exponent = int.from_bytes(public[pkcs11.Attribute.PUBLIC_EXPONENT], "big")
    return rsa.RSAPublicNumbers(exponent, modulus).public_key()


async def test_a_key_in_a_pkcs11_token_signs_without_leaving_it(
    softhsm: Path, sessions: async_sessionmaker[AsyncSession], authority: Issued, tmp_path: Path
) -> None:
    public_key = _token_public_key()  # read before the node's token logs in
    certificate = certify(authority, G22, public_key)
    token = Token.from_pin_file(SOFTHSM, TOKEN_LABEL, softhsm)
    store = AgencyKeyStore(Fernet.generate_key(), token)
    async with sessions.begin() as session:
        held = await store.put_token_key(session, G22, G22, certificate)
        with pytest.raises(AgencyKeyError) as absent:
            await store.put_token_key(session, H41, "no-such-label", certificate)
    assert held.pkcs11_label == G22 and absent.value.code == "NODE_KEY_MISSING"

    signed = await NodeAgencySigner(sessions, store).sign(document(G22, [H41], 4), G22)
    verifier = _verifier(authority, Authorization.for_certificate(G22, certificate))
    assert verifier.verify(signed, at=datetime.now(UTC)).signer.code == G22
    # An independent implementation agrees.
    (tmp_path / "ca.pem").write_bytes(authority.certificate.public_bytes(_PEM))
    (tmp_path / "signed.edxml").write_bytes(signed)
    checked = await asyncio.to_thread(
        subprocess.run,
        ["xmlsec1", "--verify", "--trusted-pem", str(tmp_path / "ca.pem"),
         str(tmp_path / "signed.edxml")],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    # The key is never read out of the token.
    key = token.key(G22, public_key)
    with pytest.raises(SignatureError):
        key.private_bytes(_PEM, None, None)
    assert sign_packet(document(G22, [H41], 5), key, certificate) != signed


_PEM = Encoding.PEM
