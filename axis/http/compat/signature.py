"""The national SDK's request signature (`XroadVnpt-*` headers), checked the way the SDK makes it.

The SDK (SDKVXP 2.0.1) sends every parameter twice: as bare `XroadVnpt-<name>` headers, and
inside one JSON object, `XroadVnpt-sign-header`, whose exact bytes it signs:

    XroadVnpt-hash-header = lowercase hex of HMAC-SHA256(key = the secret's UTF-8 bytes as
                                                         configured, message = those bytes)

So the check works on the bytes as received, never on a re-serialised copy (key order and
escaping are the SDK's, gson's), and parameters are read only from the signed JSON: a bare
header is at most compared with its signed value, because nothing else is covered by the HMAC.
The SDK's header map is never emptied, so a request may carry signed keys left over from earlier
calls; they are signed like the rest and ignored by the operations, except for a client with
strict parameters (`axis.http.compat.operations`, which also binds each operation to its signed
Content-Type).

`sendEdoc`'s body is bound to the signature through `hash-file`, the SHA-256 of the file in hex
*without zero padding* (Java's `Integer.toHexString` per byte), and the body is the file followed
by one CRLF that is not part of it.

Everything here is pure (bytes in, values out) so that it is tested without a server.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

PREFIX = "XroadVnpt-"
SIGN_HEADER = "sign-header"
SIGN_HEADER_KEY = "sign-header-key"
HASH_HEADER = "hash-header"
SYSTEM_ID = "systemid"
UNSIGNED = frozenset({SIGN_HEADER, SIGN_HEADER_KEY, HASH_HEADER, "version"})
"""`XroadVnpt-<name>` headers the SDK sends outside the signed JSON."""

CRLF = b"\r\n"
_CODE_SEPARATORS = re.compile(r"[\s,;]+")
_BARE_CODES = re.compile(r"[A-Za-z0-9.\s,;]+")

RawHeaders = Sequence[tuple[bytes, bytes]]
"""Header (name, value) pairs as the ASGI server hands them over: names lower-cased, values the
bytes received (read as latin-1 they lose nothing)."""


class SignatureError(ValueError):
    """The signed headers cannot be read or do not agree with each other; the message is a
    sentence naming what is wrong."""


class AmbiguousParameter(ValueError):
    """A parameter is signed under two spellings (case aside) with different values."""


@dataclass(frozen=True, slots=True)
class SignedHeaders:
    """What a request signed: the exact bytes, the claimed HMAC and the parameters."""

    raw: bytes
    """The `XroadVnpt-sign-header` value exactly as received: what the HMAC is over."""
    hash_header: bytes
    """The `XroadVnpt-hash-header` value as received."""
    params: Mapping[str, str]
    """Signed parameters by name without the prefix, spelt as the caller spelt them."""

    @property
    def system_id(self) -> str:
        """`XroadVnpt-systemid` (the SDK spells it so; `read_signed_headers` requires it)."""
        return self.params[SYSTEM_ID]

    def param(self, name: str) -> str | None:
        """A signed parameter by name, matched case-insensitively (the SDK finds `docId` as
        `docId` or `docid` in the caller's JSON and sends it under the caller's spelling).

        One service object keeps the parameters of all its calls, so a request may carry both
        spellings, one of them left over from an earlier call: when they disagree, which one
        is meant cannot be known, and `AmbiguousParameter` is raised rather than guessing."""
        wanted = name.lower()
        values = {value for key, value in self.params.items() if key.lower() == wanted}
        if len(values) > 1:
            spellings = [key for key in self.params if key.lower() == wanted]
            raise AmbiguousParameter(
                f"the signed headers carry {' and '.join(spellings)} with different values (the "
                "SDK keeps the parameters of earlier calls on a service object): spell the "
                "parameter the same way in every call"
            )
        return values.pop() if values else None


def read_signed_headers(headers: RawHeaders) -> SignedHeaders:
    """The signed parameters of a request; `SignatureError` when they cannot be trusted to be
    what was signed (the HMAC itself is checked by `hash_matches`, which needs the secret)."""
    raw = _single(headers, SIGN_HEADER)
    hash_header = _single(headers, HASH_HEADER)
    params = _signed_params(raw)
    if not params.get(SYSTEM_ID):
        raise SignatureError(f"the signed headers carry no {PREFIX}{SYSTEM_ID}")
    _check_key_list(headers, params)
    _check_bare_headers(headers, params)
    return SignedHeaders(raw=raw, hash_header=hash_header, params=params)


def expected_hash(raw: bytes, secret: str) -> str:
    """The hash header the SDK sends for sign header `raw` when configured with `secret`."""
    return hmac.new(secret.encode("utf-8"), raw, hashlib.sha256).hexdigest()


def hash_matches(signed: SignedHeaders, secret: str) -> bool:
    """Whether the request was signed with `secret` (constant time, hex case ignored)."""
    expected = expected_hash(signed.raw, secret).encode("ascii")
    return hmac.compare_digest(expected, signed.hash_header.strip().lower())


def unpadded_hex(digest: bytes) -> str:
    """Hex as the SDK writes a digest: each byte without its leading zero (0x05 is `5`)."""
    return "".join(format(byte, "x") for byte in digest)


def file_hash(data: bytes) -> str:
    """`XroadVnpt-hash-file` as the SDK computes it for `data`."""
    return unpadded_hex(hashlib.sha256(data).digest())


def file_matching(body: bytes, declared: str) -> bytes | None:
    """The file inside a `sendEdoc` body whose hash is `declared`, or None.

    The SDK sends the file followed by CRLF; the body without that CRLF is tried first, then the
    body as it is (a client that sends the bare file). The SDK's unpadded hex is expected; the
    standard padded hex is accepted too, from other clients."""
    wanted = declared.strip().lower()
    candidates = [body[: -len(CRLF)], body] if body.endswith(CRLF) else [body]
    for candidate in candidates:
        digest = hashlib.sha256(candidate).digest()
        if wanted in (unpadded_hex(digest), digest.hex()):
            return candidate
    return None


def codes_in_to(value: str) -> list[str]:
    """The organization codes of `sendEdoc`'s `to`, which the SDK sends as JSON text: a string
    with its quotes (`"000.00.15.H51"`), or an array of strings and `{"organId": ...}` objects.
    A bare unquoted list of codes is accepted too. `ValueError` with a sentence otherwise."""
    text = value.strip()
    if not text:
        return []
    try:
        parsed: object = json.loads(text)
    except ValueError:
        if not _BARE_CODES.fullmatch(text):
            raise ValueError(
                f"'to' must be JSON: a code in quotes or an array of codes or "
                f'{{"organId": ...}} objects, got {_shown(text)}'
            ) from None
        parsed = text
    items = parsed if isinstance(parsed, list) else [parsed]
    codes: list[str] = []
    for item in items:
        codes.extend(_codes_of(item))
    return list(dict.fromkeys(codes))


def lenient_object(text: str) -> dict[str, str]:
    """A flat JSON object read as leniently as gson 2.2 reads it (unquoted or single-quoted
    names and values, `=` or `=>` after names, `;` between pairs, trailing commas): the vendor's
    own sample of `registerAgency` data is not strict JSON. Values are returned as text; `null`
    values are left out. `ValueError` with a sentence when it is not an object of plain values."""
    return _LenientReader(text).object()


# --- reading the signed headers ------------------------------------------------------------


def _single(headers: RawHeaders, name: str) -> bytes:
    wanted = (PREFIX + name).lower().encode("ascii")
    values = [value for key, value in headers if key.lower() == wanted]
    if not values:
        raise SignatureError(f"the request has no {PREFIX}{name} header")
    if len(values) > 1:
        raise SignatureError(f"the request has {len(values)} {PREFIX}{name} headers, not one")
    return values[0]


def _signed_params(raw: bytes) -> dict[str, str]:
    try:
        parsed = json.loads(raw.decode("utf-8"), object_pairs_hook=_refuse_repeats)
    except (UnicodeDecodeError, ValueError) as error:
        raise SignatureError(f"{PREFIX}{SIGN_HEADER} is not UTF-8 JSON ({error})") from None
    if not isinstance(parsed, dict):
        raise SignatureError(f"{PREFIX}{SIGN_HEADER} is not a JSON object")
    params: dict[str, str] = {}
    for key, value in parsed.items():
        if not key.lower().startswith(PREFIX.lower()):
            raise SignatureError(f"the signed name {_shown(key)} does not start with {PREFIX}")
        if not isinstance(value, str):
            raise SignatureError(f"the signed value of {_shown(key)} is not a string")
        params[key[len(PREFIX) :]] = value
    return params


def _refuse_repeats(pairs: list[tuple[str, object]]) -> dict[str, object]:
    found: dict[str, object] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"the name {key!r} appears twice")
        found[key] = value
    return found


def _check_key_list(headers: RawHeaders, params: Mapping[str, str]) -> None:
    """`XroadVnpt-sign-header-key` must list exactly the signed names."""
    listed = _single(headers, SIGN_HEADER_KEY).decode("latin-1")
    names = [name.strip() for name in listed.split(";") if name.strip()]
    if sorted(names) != sorted(params):
        raise SignatureError(
            f"{PREFIX}{SIGN_HEADER_KEY} lists {';'.join(names) or 'nothing'}, but the signed "
            f"names are {';'.join(params)}"
        )


def _check_bare_headers(headers: RawHeaders, params: Mapping[str, str]) -> None:
    """Every bare `XroadVnpt-<name>` header of a signed name must carry the signed value (an
    intermediary must not be able to make the two disagree). Unsigned extras carry no meaning
    here, since parameters are read only from the signed JSON."""
    signed: dict[str, set[bytes]] = {}
    for param, text in params.items():  # header names have no case: docId and docid are one
        signed.setdefault(param.lower(), set()).add(text.encode("utf-8").strip(b" \t"))
    prefix = PREFIX.lower().encode("ascii")
    for key, value in headers:
        lowered = key.lower()
        if not lowered.startswith(prefix):
            continue
        name = lowered[len(prefix) :].decode("latin-1")
        if name in UNSIGNED or name not in signed:
            continue
        if value.strip(b" \t") not in signed[name]:
            raise SignatureError(f"the header {PREFIX}{name} differs from its signed value")


# --- sendEdoc's `to` -----------------------------------------------------------------------


def _codes_of(item: object) -> list[str]:
    if isinstance(item, str):
        return [code for code in _CODE_SEPARATORS.split(item) if code]
    if isinstance(item, dict):
        for key, value in item.items():
            if str(key).lower() == "organid" and isinstance(value, str) and value.strip():
                return [value.strip()]
        raise ValueError("each object in 'to' needs an \"organId\" string")
    raise ValueError(f"'to' holds {json.dumps(item)}, which is neither a code nor an object")


def _shown(text: str, limit: int = 80) -> str:
    """`text` quoted for a message, cut when long (messages are read by people)."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


# --- a lenient reader for flat objects -----------------------------------------------------

_ESCAPES = {
    '"': '"',
    "'": "'",
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}
_LITERAL_END = set("{}[]:,;=#") | {'"', "'"}


class _LenientReader:
    """Reads one flat object the way gson's lenient JsonReader would accept it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def object(self) -> dict[str, str]:
        self._expect("{", "the data must be a JSON object, starting with '{'")
        found: dict[str, str] = {}
        while True:
            char = self._next_significant()
            if char == "}":
                self.at += 1
                break
            if char in (",", ";"):
                self.at += 1
                continue
            name = self._scalar("a name")
            self._separator()
            value, is_null = self._value(name)
            if not is_null:
                found[name] = value
        if self._next_significant() != "":
            raise ValueError(f"unexpected text after the object at character {self.at + 1}")
        return found

    def _separator(self) -> None:
        char = self._next_significant()
        if char == ":":
            self.at += 1
        elif char == "=":
            self.at += 2 if self.text.startswith("=>", self.at) else 1
        else:
            raise ValueError(f"expected ':' after a name at character {self.at + 1}")

    def _value(self, name: str) -> tuple[str, bool]:
        char = self._next_significant()
        if char in ("{", "["):
            raise ValueError(f"the value of {name!r} is an object or array; plain values only")
        quoted = char in ('"', "'")
        value = self._scalar(f"the value of {name!r}")
        return value, (not quoted and value == "null")

    def _scalar(self, what: str) -> str:
        char = self._next_significant()
        if char in ('"', "'"):
            return self._quoted(char)
        start = self.at
        while self.at < len(self.text) and self.text[self.at] not in _LITERAL_END:
            if self.text[self.at] in "\r\n":
                break
            self.at += 1
        literal = self.text[start : self.at].strip()
        if not literal:
            where = "the end" if self.at >= len(self.text) else f"character {self.at + 1}"
            raise ValueError(f"expected {what} at {where}")
        return literal

    def _quoted(self, quote: str) -> str:
        self.at += 1
        parts: list[str] = []
        while self.at < len(self.text):
            char = self.text[self.at]
            self.at += 1
            if char == quote:
                return "".join(parts)
            if char == "\\":
                parts.append(self._escape())
            else:
                parts.append(char)
        raise ValueError("a quoted string is not closed")

    def _escape(self) -> str:
        if self.at >= len(self.text):
            raise ValueError("the data ends inside an escape")
        char = self.text[self.at]
        self.at += 1
        if char == "u":
            digits = self.text[self.at : self.at + 4]
            if not re.fullmatch(r"[0-9A-Fa-f]{4}", digits):
                raise ValueError(f"bad \\u escape at character {self.at}")
            self.at += 4
            return chr(int(digits, 16))
        if char not in _ESCAPES:
            raise ValueError(f"unknown escape \\{char} at character {self.at}")
        return _ESCAPES[char]

    def _next_significant(self) -> str:
        while self.at < len(self.text) and self.text[self.at].isspace():
            self.at += 1
        return self.text[self.at] if self.at < len(self.text) else ""

    def _expect(self, char: str, message: str) -> None:
        if self._next_significant() != char:
            raise ValueError(message)
        self.at += 1
