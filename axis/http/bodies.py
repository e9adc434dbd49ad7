"""Reading request bodies within a bound, before anything is parsed."""

from __future__ import annotations

from fastapi import Request

from axis.http.errors import ApiError
from envelopes.safe_parsing import Limits
from envelopes.spool import PacketBytes, SpooledPacket

MAX_PACKET_BYTES = Limits().max_bytes
"""The largest packet the node takes (the parser's own bound)."""
SPOOL_FROM_BYTES = 1024 * 1024
"""A packet body bigger than this is spooled to a temporary file as it arrives
(`envelopes.spool`): a 70 MB packet is then never held whole in memory."""


async def bounded_body(request: Request, limit: int = MAX_PACKET_BYTES) -> bytes:
    """The request's body in memory; 413 `REQUEST_TOO_LARGE` as soon as it passes `limit`."""
    data = await packet_body(request, limit, spool_from=limit)  # never spooled: within limit
    return data.read_all() if isinstance(data, SpooledPacket) else data


async def packet_body(
    request: Request, limit: int = MAX_PACKET_BYTES, spool_from: int = SPOOL_FROM_BYTES
) -> PacketBytes:
    """A packet's body within `limit`: its bytes, or spooled once it passes `spool_from` bytes
    (413 `REQUEST_TOO_LARGE` as soon as it passes `limit`)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared), limit)
    chunks: list[bytes] = []
    spooled: SpooledPacket | None = None
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(size, limit)
        if spooled is not None:
            spooled.append(chunk)
            continue
        chunks.append(chunk)
        if size > spool_from:
            spooled = SpooledPacket()
            for held in chunks:
                spooled.append(held)
            chunks.clear()
    return spooled if spooled is not None else b"".join(chunks)


def _too_large(size: int, limit: int) -> ApiError:
    return ApiError(
        413, "REQUEST_TOO_LARGE",
        f"The body is {size:,} bytes or more; this node takes at most {limit:,}.",
    )  # fmt: skip
