"""The node's directory answers, built once per registry version and shared by every caller.

Every DMS asks for the whole list of agencies, many at the same hour; at national size (~115,000
units) one answer is 20-32 MB of JSON. So each answer is built once for the registry object the
node holds (`RegistryService` installs a new one on every version change), in a worker thread,
with its gzip copy and ETag, and every caller is served those same bytes, streamed in bounded
slices (uvicorn's flow control then keeps a slow reader's memory to one slice, not a copy).
Concurrent callers of an answer not yet built await the one build. The same holds for the view
behind `GET /v1/registry/units` (`orgcodes.views`), kept until the registry's next transition.

Here live the SDK's three directory answers (getAgenciesList, getAgenciesListQD20,
getSynchronizeUnit: what each unit reads as), the cache, and the HTTP they are served with:
content negotiation (`Accept-Encoding` with q-values), `ETag` and `If-None-Match`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import zlib
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import Response, StreamingResponse

from orgcodes.changes import MAX_LEVEL
from orgcodes.grammar import CodeError, CodeFormat, parse_code
from orgcodes.model import UnitState, local_time
from orgcodes.registry import Registry
from orgcodes.views import UnitView

SUCCESS: Mapping[str, str] = {"status": "OK", "ErrorCode": "0", "ErrorDesc": "Success"}
"""The three fields of every successful SDK reply, first in it."""
CHUNK = 64 * 1024
"""The slice of a shared answer handed to the server at a time."""
BATCH = 2000
"""Units encoded per `json.dumps` call: the C encoder keeps the GIL for a whole call, so one
call over 30 MB would stall the event loop for as long as it takes."""

Fields = dict[str, object]
T = TypeVar("T")


def sdk_json(value: object) -> bytes:
    """An SDK reply's body: ASCII-only JSON (non-ASCII as \\uXXXX escapes), compact."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).encode("ascii")


# --- the answers ---------------------------------------------------------------------------


class Listing(StrEnum):
    """The SDK's directory operations, by name."""

    AGENCIES = "getAgenciesList"
    AGENCIES_QD20 = "getAgenciesListQD20"
    SYNCHRONIZE = "getSynchronizeUnit"


def code_in(state: UnitState, wanted: CodeFormat) -> str:
    """The unit's code (or alternate code) written in format `wanted`, or ""."""
    for code in (state.code, state.alt_code):
        if code is None:
            continue
        try:
            if parse_code(code).format is wanted:
                return code
        except CodeError:
            continue
    return ""


def _named(state: UnitState) -> Fields:
    """The fields getAgenciesList and getSynchronizeUnit start with, in their order."""
    return {
        "code": state.code,
        "id": state.code,
        "mail": state.contact.email or "",
        "name": state.name,
        "pid": state.parent or "",
    }


def agency(state: UnitState) -> Fields:
    return {**_named(state), "oldCode": ",".join(state.old_codes)}


def agency_qd20(state: UnitState) -> Fields:
    return {
        "code": code_in(state, CodeFormat.QD20) or state.code,
        "id": state.code,
        "mail": state.contact.email or "",
        "name": state.name,
        "code102": code_in(state, CodeFormat.QCVN102),
    }


def synchronized(state: UnitState) -> Fields:
    """A unit for a client keeping its own copy: closed ones too (`deleted`)."""
    return {
        **_named(state),
        "version": state.version,
        "centerCode": state.home_axis or "",
        "deleted": not state.active,
        "modifyDate": local_time(state.since),
        "isAgency": True,
    }


RECORDS: Mapping[Listing, Callable[[UnitState], Fields]] = {
    Listing.AGENCIES: agency,
    Listing.AGENCIES_QD20: agency_qd20,
    Listing.SYNCHRONIZE: synchronized,
}


def listed(registry: Registry, listing: Listing, level: int | None = None) -> list[UnitState]:
    """The units `listing` answers, as they now stand (their latest states), by code: the
    active ones (every one for getSynchronizeUnit), of `level` when given."""
    active_only = listing is not Listing.SYNCHRONIZE
    return sorted(
        (
            s
            for s in (history.current for history in registry)
            if (s.active or not active_only) and (level is None or s.level == level)
        ),
        key=lambda s: s.code,
    )


def encoded(registry: Registry, listing: Listing, level: int | None = None) -> bytes:
    """The whole reply, byte for byte `sdk_json({**SUCCESS, "data": [...]})`, encoded a batch
    of units at a time (each batch's list without its brackets, joined by commas)."""
    record = RECORDS[listing]
    states = listed(registry, listing, level)
    head = sdk_json({**SUCCESS, "data": []})
    assert head.endswith(b"[]}")
    parts = [
        sdk_json([record(s) for s in states[start : start + BATCH]])[1:-1]
        for start in range(0, len(states), BATCH)
    ]
    return b"".join((head[:-2], b",".join(parts), b"]}"))


def gzipped(data: bytes) -> bytes:
    """`data` as a gzip member (no name, no time: the same bytes every time), compressed a
    megabyte at a time (zlib lets other threads run while it works)."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    view = memoryview(data)
    parts = [packer.compress(view[i : i + (1 << 20)]) for i in range(0, len(view), 1 << 20)]
    parts.append(packer.flush())
    return b"".join(parts)


def etag_of(data: bytes) -> str:
    """A strong ETag naming `data` by its content."""
    return f'"{hashlib.sha256(data).hexdigest()[:32]}"'


@dataclass(frozen=True, slots=True)
class Answer:
    """One reply's bytes, its gzip copy, and the ETag of each."""

    body: bytes
    gzipped: bytes
    etag: str
    gzip_etag: str

    @classmethod
    def of(cls, body: bytes) -> Answer:
        tag = etag_of(body)
        return cls(body, gzipped(body), tag, f'{tag[:-1]}-gzip"')


def build_answer(registry: Registry, listing: Listing, level: int | None) -> Answer:
    """The reply of `listing` for `registry`, ready to serve (run in a worker thread)."""
    return Answer.of(encoded(registry, listing, level))


# --- the cache -----------------------------------------------------------------------------

Key = tuple[Listing, int | None]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Directory:
    """The answers and the unit view of the registry object last asked about; an answer is
    built once (in a worker thread) however many callers ask for it at once, and everything is
    dropped when the node installs another registry object.

    `build` and `clock` are what tests replace; `builds` and `view_builds` count the builds
    started."""

    def __init__(
        self,
        *,
        build: Callable[[Registry, Listing, int | None], Answer] = build_answer,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.build = build
        self.clock = clock
        self.builds = 0
        self.view_builds = 0
        self._registry: Registry | None = None
        self._answers: dict[Key, asyncio.Future[Answer]] = {}
        self._view: asyncio.Future[UnitView] | None = None

    def _follow(self, registry: Registry) -> None:
        if registry is not self._registry:
            self._registry = registry
            self._answers = {}
            self._view = None

    async def answer(
        self, registry: Registry, listing: Listing, level: int | None = None
    ) -> Answer:
        """The reply of `listing` (of units of `level`, when given) for `registry`."""
        self._follow(registry)
        if level is not None and not 1 <= level <= MAX_LEVEL:
            level = 0  # no unit has it: every such level shares the one empty answer
        key = (listing, level)
        found = self._answers.get(key)
        if found is None:
            self.builds += 1
            found = _in_thread(self.build, registry, listing, level)
            self._answers[key] = found
            found.add_done_callback(lambda done: _forget_failed(self._answers, key, done))
        return await asyncio.shield(found)

    async def view(self, registry: Registry, at: datetime | None = None) -> UnitView:
        """The units of `registry` at `at` (default: now). The view of now is built once and
        kept until the registry's next transition; another time reuses it when no transition
        lies between, and is otherwise computed for the one call."""
        self._follow(registry)
        moment = self.clock() if at is None else at
        kept = self._view
        if kept is not None:
            view = await asyncio.shield(kept)
            if view.covers(moment):
                return view
            if at is None and self._view is kept:
                self._view = None  # past its next transition
        if at is not None or registry is not self._registry:
            return await asyncio.to_thread(UnitView, registry, moment)
        if self._view is None:
            self.view_builds += 1
            self._view = _in_thread(UnitView, registry, moment)
            self._view.add_done_callback(self._forget_view)
        view = await asyncio.shield(self._view)
        return view if view.covers(moment) else await asyncio.to_thread(UnitView, registry, moment)

    def _forget_view(self, done: asyncio.Future[UnitView]) -> None:
        if self._view is done and (done.cancelled() or done.exception() is not None):
            self._view = None


def _in_thread(function: Callable[..., T], *args: Any) -> asyncio.Future[T]:
    return asyncio.ensure_future(asyncio.to_thread(function, *args))


def _forget_failed(
    answers: dict[Key, asyncio.Future[Answer]], key: Key, done: asyncio.Future[Answer]
) -> None:
    """A failed build is not kept: the next caller tries again."""
    if answers.get(key) is done and (done.cancelled() or done.exception() is not None):
        del answers[key]


# --- serving -------------------------------------------------------------------------------


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether `Accept-Encoding` accepts gzip: named (or `x-gzip`) with a q-value above 0, or
    `*` above 0 when gzip is not named (`gzip;q=0` refuses it whatever `*` says)."""
    named: float | None = None
    anything: float | None = None
    for item in accept_encoding.split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 0.0
        coding = coding.lower()
        if coding in ("gzip", "x-gzip"):
            named = quality if named is None else max(named, quality)
        elif coding == "*":
            anything = quality
    if named is not None:
        return named > 0
    return anything is not None and anything > 0


def matches(if_none_match: str | None, tags: Iterable[str]) -> bool:
    """Whether `If-None-Match` names one of `tags` (weak comparison, as RFC 9110 says for it),
    or is `*`."""
    if not if_none_match:
        return False
    given = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in given or any(tag in given for tag in tags)


async def _slices(data: bytes) -> AsyncIterator[memoryview]:
    view = memoryview(data)
    for start in range(0, len(view), CHUNK):
        yield view[start : start + CHUNK]


def respond(request: Request, answer: Answer) -> Response:
    """`answer` as the request accepts it (gzip or not), streamed from the shared bytes; 304
    when `If-None-Match` names it."""
    compressed = accepts_gzip(request.headers.get("accept-encoding", ""))
    data, tag = (answer.gzipped, answer.gzip_etag) if compressed else (answer.body, answer.etag)
    headers = {"ETag": tag, "Vary": "Accept-Encoding"}
    if matches(request.headers.get("if-none-match"), (answer.etag, answer.gzip_etag)):
        return Response(status_code=304, headers=headers)
    if compressed:
        headers["Content-Encoding"] = "gzip"
    headers["Content-Length"] = str(len(data))
    return StreamingResponse(_slices(data), media_type="application/json", headers=headers)


def conditional(request: Request, body: bytes, media_type: str = "application/json") -> Response:
    """A small reply with its ETag, or 304 when `If-None-Match` names it."""
    tag = etag_of(body)
    if matches(request.headers.get("if-none-match"), (tag,)):
        return Response(status_code=304, headers={"ETag": tag})
    return Response(body, media_type=media_type, headers={"ETag": tag})
