"""A stand-in for the national SDK (SDKVXP 2.0.1) that sends its requests byte for byte.

Written from the wire description of the SDK (the Java classes `KnobstickServiceImp` and
`AgencyServiceImp`), not from the node's code, so that the node is tested against what the SDK
does rather than against itself:

- each service object owns a `java.util.HashMap` of headers that starts with `timestamp`
  (`ddMMyyyy'T'HHmmss+SSSS`, fixed when the object is made) and `systemid`, and gains every
  parameter of every call on it (entries are never removed);
- headers go on the wire in HashMap iteration order (`JavaHashMap` reproduces it: Java's
  `String.hashCode`, the spread `h ^ (h >>> 16)`, a table of 16 buckets doubling past 0.75 load,
  insertion order within a bucket), and the same pairs are signed as gson's compact JSON;
- `sendEdoc` goes through HttpURLConnection (the file plus CRLF, `application/octet-stream`,
  the unpadded `hash-file`), the other operations through Apache HttpClient (an empty body or
  `{}` with `Expect: 100-continue`, which waits for `100 Continue` before sending the body).

Requests are built as `WireRequest`s (so a test can look at them or tamper with them) and sent
over a plain socket with `send`, one connection per call as the SDK does. It is synchronous: call
it from a thread (`asyncio.to_thread`) when the server runs in the test's event loop.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import hmac
import json
import socket
import ssl
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

PREFIX = "XroadVnpt-"
USER_AGENT = "JAVASDKAgent/1.0.0 XRoad/VPCP"
VERSION = "3.0.201608"
JSON = "application/json"
OCTETS = "application/octet-stream"
CONTINUE_WAIT = 3.0
"""Seconds HttpClient waits for `100 Continue` before it sends the body anyway."""


# --- Java's HashMap and gson ---------------------------------------------------------------


def java_string_hash(text: str) -> int:
    """`String.hashCode()`: s[0]*31^(n-1) + ... over UTF-16 code units, as a signed int."""
    units = text.encode("utf-16-be")
    value = 0
    for index in range(0, len(units), 2):
        value = (31 * value + int.from_bytes(units[index : index + 2], "big")) & 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def _spread(key: str) -> int:
    """`HashMap.hash(key)`: the hash code with its high half folded into the low half."""
    unsigned = java_string_hash(key) & 0xFFFFFFFF
    return unsigned ^ (unsigned >> 16)


def _capacity(size: int) -> int:
    """The table size of a default HashMap holding `size` entries (16, doubled whenever the
    size passes 0.75 of it)."""
    capacity = 16
    while size > capacity * 3 // 4:
        capacity *= 2
    return capacity


class JavaHashMap:
    """A `HashMap<String, String>` as far as iteration order goes.

    Entries are walked bucket by bucket; within a bucket in insertion order (a resize splits a
    bucket's list keeping its order, and treeification needs 8 keys in one bucket, which headers
    never reach). Putting an existing key replaces its value in place."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}

    def put(self, key: str, value: str) -> None:
        self._values[key] = value

    def __len__(self) -> int:
        return len(self._values)

    def keys(self) -> list[str]:
        mask = _capacity(len(self._values)) - 1
        inserted = list(self._values)
        return sorted(inserted, key=lambda k: (_spread(k) & mask, inserted.index(k)))

    def items(self) -> list[tuple[str, str]]:
        return [(key, self._values[key]) for key in self.keys()]


def gson_string(text: str) -> str:
    """A JSON string as gson 2.2 writes it without HTML escaping: only `"`, `\\`, control
    characters and U+2028/U+2029 are escaped; everything else, non-ASCII included, is raw."""
    out = ['"']
    for char in text:
        if char in _GSON_ESCAPES:
            out.append(_GSON_ESCAPES[char])
        elif ord(char) < 0x20 or char in "\u2028\u2029":
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


_GSON_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\t": "\\t",
    "\b": "\\b",
    "\n": "\\n",
    "\r": "\\r",
    "\f": "\\f",
}


def gson_json(value: Any) -> str:
    """`JsonElement.toString()`: compact JSON in gson's escaping (for `to` and the sign header)."""
    if isinstance(value, str):
        return gson_string(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Mapping):
        pairs = (f"{gson_string(str(k))}:{gson_json(v)}" for k, v in value.items())
        return "{" + ",".join(pairs) + "}"
    if isinstance(value, Sequence):
        return "[" + ",".join(gson_json(v) for v in value) + "]"
    raise TypeError(f"not a JSON value: {value!r}")


def as_string(value: Any) -> str:
    """`JsonElement.getAsString()` of a primitive (the SDK throws on anything else)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise TypeError(f"the SDK sends only primitive parameters, not {value!r}")


def sdk_timestamp(moment: datetime) -> str:
    """`new SimpleDateFormat("ddMMyyyy'T'HHmmss+SSSS").format(date)`: `+` is literal and SSSS
    the milliseconds on four digits."""
    return f"{moment:%d%m%Y}T{moment:%H%M%S}+{moment.microsecond // 1000:04d}"


def unpadded_sha256(data: bytes) -> str:
    """`hash-file`: each byte of the SHA-256 by `Integer.toHexString(b & 0xff)`."""
    return "".join(format(byte, "x") for byte in hashlib.sha256(data).digest())


def hmac_hex(sign_header: str, secret: str) -> str:
    """`XroadVnpt-hash-header`: commons-codec hex of HMAC-SHA256 with the secret's UTF-8 bytes."""
    key = secret.encode("utf-8")
    return hmac.new(key, sign_header.encode("utf-8"), hashlib.sha256).hexdigest()


# --- requests and replies ------------------------------------------------------------------


@dataclass
class WireRequest:
    """One HTTP request exactly as the SDK puts it on the wire (headers in order)."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes = b""
    expect_continue: bool = False

    def header(self, name: str) -> str | None:
        found = [v for k, v in self.headers if k.lower() == name.lower()]
        return found[0] if found else None

    def replace(self, name: str, value: str) -> None:
        """Set header `name` in place (for tests that tamper with a signed request)."""
        self.headers = [(k, value if k.lower() == name.lower() else v) for k, v in self.headers]

    def head(self) -> bytes:
        lines = [f"{self.method} {self.target} HTTP/1.1"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


@dataclass
class WireReply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    continued: bool = False
    """The server answered `Expect: 100-continue` with `100 Continue`."""
    body_sent: bool = True
    """False when the server answered before the body was sent (after an Expect)."""

    def header(self, name: str) -> str | None:
        found = [v for k, v in self.headers if k.lower() == name.lower()]
        return found[0] if found else None

    def json(self) -> dict[str, Any]:
        parsed = json.loads(self.body.decode("ascii"))
        assert isinstance(parsed, dict)
        return parsed


@dataclass(frozen=True)
class VnptProperties:
    """`new VnptProperties(endpoint, systemId, secret, ...)`: what the calls need of it."""

    endpoint: str
    system_id: str
    secret: str


@dataclass
class _Service:
    """What `KnobstickServiceImp` and `AgencyServiceImp` share: the header map and signing."""

    properties: VnptProperties
    created: datetime = field(default_factory=datetime.now)
    headers: JavaHashMap = field(init=False)

    def __post_init__(self) -> None:
        self.headers = JavaHashMap()
        self.headers.put("timestamp", sdk_timestamp(self.created))
        self.headers.put("systemid", self.properties.system_id)

    @property
    def _host(self) -> str:
        return urlsplit(self.properties.endpoint).netloc

    def _target(self, operation: str) -> str:
        """`endpoint + "/" + operation`, as the path on the request line."""
        path = urlsplit(self.properties.endpoint + "/" + operation).path
        return path or "/"

    def _put_params(self, content_type: str, params: Mapping[str, Any]) -> None:
        self.headers.put("Content-Type", content_type)
        for key, value in params.items():
            self.headers.put(key, as_string(value))

    def _signature_headers(self) -> list[tuple[str, str]]:
        entries = self.headers.items()
        signed = "{" + ",".join(f"{gson_string(PREFIX + k)}:{gson_string(v)}" for k, v in entries)
        signed += "}"
        return [
            (PREFIX + "sign-header-key", ";".join(k for k, _ in entries)),
            (PREFIX + "sign-header", signed),
            (PREFIX + "hash-header", hmac_hex(signed, self.properties.secret)),
            ("User-Agent", USER_AGENT),
            (PREFIX + "version", VERSION),
        ]

    def _http_client(
        self,
        operation: str,
        params: Mapping[str, Any],
        *,
        method: str = "POST",
        body: bytes = b"",
    ) -> WireRequest:
        """A request of the HttpClient operations: the map's headers (the bare Content-Type
        where the map holds it), the signature, then HttpClient's own headers."""
        self._put_params(JSON, params)
        headers: list[tuple[str, str]] = []
        for key, value in self.headers.items():
            if key == "Content-Type":
                headers.append((key, value))
            headers.append((PREFIX + key, value))
        headers += self._signature_headers()
        if method == "POST":
            headers.append(("Content-Length", str(len(body))))
        headers += [("Host", self._host), ("Connection", "Keep-Alive")]
        if body:
            headers.append(("Expect", "100-continue"))
        headers.append(("Accept-Encoding", "gzip,deflate"))
        return WireRequest(method, self._target(operation), headers, body, bool(body))


@dataclass
class KnobstickService(_Service):
    """The document operations (`KnobstickServiceImp`)."""

    def send_edoc_request(
        self, params: Mapping[str, Any], file: bytes, *, hash_file: str | None = None
    ) -> WireRequest:
        """`sendEdoc(json, filePath)` through HttpURLConnection; `to` is sent as JSON text
        (`JsonElement.toString()`), every other parameter as its string. `hash_file` overrides
        the computed hash (to reproduce a captured request without its file)."""
        self.headers.put("Content-Type", OCTETS)
        for key, value in params.items():
            self.headers.put(key, gson_json(value) if key == "to" else as_string(value))
        self.headers.put("hash-file", hash_file if hash_file is not None else unpadded_sha256(file))
        body = file + b"\r\n"
        # The SDK first sets a multipart Content-Type, then replaces it: it keeps the first place.
        headers = [("Content-Type", OCTETS)]
        headers += [(PREFIX + key, value) for key, value in self.headers.items()]
        headers += self._signature_headers()
        headers += [
            ("Cache-Control", "no-cache"),
            ("Pragma", "no-cache"),
            ("Host", self._host),
            ("Accept", "text/html, image/gif, image/jpeg, */*; q=0.2"),
            ("Connection", "keep-alive"),
            ("Content-Length", str(len(body))),
        ]
        return WireRequest("POST", self._target("sendEdoc"), headers, body)

    def get_received_edoc_list_request(self, params: Mapping[str, Any]) -> WireRequest:
        return self._http_client("getReceivedEdocList", params)

    def get_sent_edoc_list_request(self, params: Mapping[str, Any]) -> WireRequest:
        return self._http_client("getSentEdocList", params)

    def get_edoc_request(self, params: Mapping[str, Any]) -> WireRequest:
        return self._http_client("getEdoc", params, body=b"{}")

    def update_status_request(self, params: Mapping[str, Any]) -> WireRequest:
        return self._http_client("updateStatus", params, body=b"{}")

    def count_receive_edoc_request(self, params: Mapping[str, Any]) -> WireRequest:
        return self._http_client("countReceiveEdoc", params, body=b"{}")

    def count_receive_status_request(self, params: Mapping[str, Any]) -> WireRequest:
        return self._http_client("countReceiveStatus", params, body=b"{}")

    def download_edoc_request(self, params: Mapping[str, Any]) -> WireRequest:
        return self._http_client("downloadEdoc", params, method="GET")


@dataclass
class AgencyService(_Service):
    """The registry operations (`AgencyServiceImp`)."""

    def get_agencies_list_request(self, params: Mapping[str, Any]) -> WireRequest:
        return self._http_client("getAgenciesList", params)

    def get_agencies_list_qd20_request(self, params: Mapping[str, Any]) -> WireRequest:
        return self._http_client("getAgenciesListQD20", params)

    def get_synchronize_unit_request(self, params: Mapping[str, Any]) -> WireRequest:
        return self._http_client("getSynchronizeUnit", params)

    def register_agency_request(self, params: Mapping[str, Any], data: str) -> WireRequest:
        """`registerAgency(json, data)`: `data` goes verbatim as the (unsigned) body."""
        return self._http_client("registerAgency", params, body=data.encode("utf-8"))

    def delete_agency_request(self, params: Mapping[str, Any]) -> WireRequest:
        return self._http_client("deleteAgency", params, body=b"{}")


# --- the transport -------------------------------------------------------------------------


class _Connection:
    """A socket read as HTTP/1.1 responses."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        self.buffer += chunk
        return bool(chunk)

    def line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            if not self._fill():
                raise ConnectionError("the server closed the connection mid-response")
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line

    def exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            if not self._fill():
                raise ConnectionError("the server closed the connection mid-body")
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def rest(self) -> bytes:
        while self._fill():
            pass
        data, self.buffer = self.buffer, b""
        return data

    def head(self) -> tuple[int, list[tuple[str, str]]]:
        status = int(self.line().split(b" ", 2)[1])
        headers: list[tuple[str, str]] = []
        while line := self.line():
            name, _, value = line.decode("latin-1").partition(":")
            headers.append((name.strip(), value.strip()))
        return status, headers

    def body(self, headers: list[tuple[str, str]]) -> bytes:
        fields = {name.lower(): value for name, value in headers}
        if fields.get("transfer-encoding", "").lower() == "chunked":
            data = b""
            while size := int(self.line().split(b";")[0], 16):
                data += self.exactly(size)
                self.line()
            while self.line():
                pass
        elif "content-length" in fields:
            data = self.exactly(int(fields["content-length"]))
        else:
            data = self.rest()
        encoding = fields.get("content-encoding", "").lower()
        if encoding == "gzip":
            return gzip.decompress(data)
        if encoding == "deflate":
            return zlib.decompress(data)
        return data


def send(
    request: WireRequest,
    endpoint: str,
    *,
    timeout: float = 30.0,
    wait: float = CONTINUE_WAIT,
    tls: ssl.SSLContext | None = None,
) -> WireReply:
    """Send `request` to the server of `endpoint` on a new connection, as the SDK does; with
    `Expect: 100-continue` the body follows `100 Continue` (or `wait` seconds of silence), and
    is not sent at all when the server gives its final answer first. An https endpoint is
    reached with `tls` (the JVM's default SSLContext: its trust store and key store)."""
    url = urlsplit(endpoint)
    host, port = url.hostname or "127.0.0.1", url.port or (443 if url.scheme == "https" else 80)
    with contextlib.ExitStack() as stack:
        sock = stack.enter_context(socket.create_connection((host, port), timeout=timeout))
        if url.scheme == "https":
            context = tls or ssl.create_default_context()
            sock = stack.enter_context(context.wrap_socket(sock, server_hostname=host))
        connection = _Connection(sock)
        sock.sendall(request.head())
        continued = False
        if request.expect_continue:
            sock.settimeout(wait)
            try:
                status, headers = connection.head()
            except TimeoutError:
                status, headers = 0, []
            sock.settimeout(timeout)
            if 100 <= status < 200:
                continued = status == 100
            elif status:
                body = connection.body(headers)
                return WireReply(status, headers, body, continued=False, body_sent=False)
        sock.sendall(request.body)
        status, headers = connection.head()
        while 100 <= status < 200:
            status, headers = connection.head()
        return WireReply(status, headers, connection.body(headers), continued=continued)
