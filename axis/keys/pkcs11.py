"""Agency keys in a PKCS#11 token (a hardware security module, or SoftHSM in development): the
private key never leaves the token; the node asks the token to sign.

The token is named by settings (`AXIS_PKCS11_MODULE`, the vendor's library;
`AXIS_PKCS11_TOKEN`, the token's label; `AXIS_PKCS11_PIN_FILE`, the user PIN). A key is found by
its label in the token (`axis keys import-agency-key CODE --pkcs11-label LABEL --cert CERT`).
RSA keys only (CKM_SHA256_RSA_PKCS), the mechanism every token supports. The key is seen by
signxml as a `cryptography` RSA private key whose `sign` is the token's.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, NoReturn

import pkcs11
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from signing.errors import SignatureCode, SignatureError


class TokenError(RuntimeError):
    """The token cannot be used as configured; `code` names why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Token:
    """One PKCS#11 token, logged in once; its sessions are used from one thread at a time."""

    def __init__(self, module: Path, label: str, pin: str) -> None:
        try:
            library = pkcs11.lib(str(module))
            token = library.get_token(token_label=label)
            self._session = token.open(user_pin=pin)
        except (pkcs11.PKCS11Error, RuntimeError, OSError) as error:
            raise TokenError(
                "PKCS11_TOKEN_UNUSABLE",
                f"the PKCS#11 token {label!r} of {module} cannot be opened "
                f"({type(error).__name__}: {error}); check AXIS_PKCS11_MODULE, AXIS_PKCS11_TOKEN "
                "and the PIN file",
            ) from None
        self._lock = threading.Lock()

    @classmethod
    def from_pin_file(cls, module: Path, label: str, pin_file: Path) -> Token:
        return cls(module, label, pin_file.read_text(encoding="utf-8").strip())

    def key(self, label: str, public_key: rsa.RSAPublicKey) -> TokenRsaKey:
        """The token's private key labelled `label`, whose public half is `public_key` (from
        its certificate); `SignatureError` when the token holds none."""
        try:
            found = self._session.get_key(
                object_class=pkcs11.ObjectClass.PRIVATE_KEY, key_type=pkcs11.KeyType.RSA,
                label=label,
            )  # fmt: skip
        except (pkcs11.NoSuchKey, pkcs11.MultipleObjectsReturned) as error:
            raise SignatureError(
                SignatureCode.NODE_KEY_MISSING,
                f"The PKCS#11 token holds no single RSA private key labelled {label!r} "
                f"({type(error).__name__}).",
            ) from None
        return TokenRsaKey(self, found, public_key)

    def sign(self, key: Any, data: bytes) -> bytes:
        with self._lock:
            signature: bytes = key.sign(data, mechanism=pkcs11.Mechanism.SHA256_RSA_PKCS)
        return signature


class TokenRsaKey(rsa.RSAPrivateKey):
    """An RSA private key that stays in its token: PKCS#1 v1.5 signatures over SHA-256, which
    is what XML-DSig's rsa-sha256 is; everything that would export the key is refused."""

    def __init__(self, token: Token, handle: Any, public_key: rsa.RSAPublicKey) -> None:
        self._token = token
        self._handle = handle
        self._public_key = public_key

    def sign(
        self,
        data: bytes,
        padding: Any,
        algorithm: Prehashed | hashes.HashAlgorithm,
    ) -> bytes:
        if not isinstance(padding, PKCS1v15) or not isinstance(algorithm, hashes.SHA256):
            raise SignatureError(
                SignatureCode.KEY_UNSUITABLE,
                "a key in a PKCS#11 token signs with RSA PKCS#1 v1.5 over SHA-256 only",
            )
        return self._token.sign(self._handle, data)

    @property
    def key_size(self) -> int:
        return self._public_key.key_size

    def public_key(self) -> rsa.RSAPublicKey:
        return self._public_key

    def decrypt(self, ciphertext: bytes, padding: Any) -> bytes:
        self._stays_in_token()

    def private_numbers(self) -> rsa.RSAPrivateNumbers:
        self._stays_in_token()

    def private_bytes(self, encoding: Any, format: Any, encryption_algorithm: Any) -> bytes:
        self._stays_in_token()

    def __copy__(self) -> TokenRsaKey:
        return self

    def _stays_in_token(self) -> NoReturn:
        raise SignatureError(
            SignatureCode.KEY_UNSUITABLE, "a key in a PKCS#11 token signs; it is never read out"
        )
