"""One exception for every failure, `AxisError`: from the node's JSON error
(`error_from_response`), from an answer that is not one (`HTTP_<status>`), or from a node that
cannot be reached (`unreachable`: `NODE_UNREACHABLE`, `NODE_TIMEOUT`, `NODE_URL_INVALID`). An
answer this client cannot read raises it too (`RESPONSE_INVALID`, in `calls`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

__all__ = ["AxisError", "error_from_response", "unreachable"]


class AxisError(Exception):
    """The node refused a request, or could not be reached.

    `status` is the HTTP status (None when no answer came: `NODE_UNREACHABLE`,
    `NODE_TIMEOUT`); `code` the node's machine code; `problems` the details some refusals
    carry (validation errors, a packet's schema problems)."""

    def __init__(
        self,
        status: int | None,
        code: str,
        message: str,
        problems: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.problems: list[dict[str, Any]] = [dict(p) for p in problems]


def error_from_response(response: httpx.Response) -> AxisError:
    """The node's `{"error": {...}}` as an `AxisError`; `HTTP_<status>` for any other body."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("code"), str):
        problems = error.get("problems")
        return AxisError(
            status,
            error["code"],
            str(error.get("message") or "The node refused the request."),
            [p for p in problems if isinstance(p, dict)] if isinstance(problems, list) else [],
        )
    text = " ".join(response.text.split())[:200]
    reason = response.reason_phrase or "error"
    said = f": {text}" if text else ""
    return AxisError(
        status,
        f"HTTP_{status}",
        f"{response.request.method} {response.request.url} answered {status} {reason} without "
        f"the node's JSON error (a proxy in between?){said}",
    )


def unreachable(base_url: str, error: httpx.TransportError) -> AxisError:
    """No answer came: `NODE_TIMEOUT`, `NODE_URL_INVALID` or `NODE_UNREACHABLE`, with the URL."""
    if isinstance(error, httpx.TimeoutException):
        return AxisError(
            None, "NODE_TIMEOUT",
            f"The node at {base_url} did not answer in time ({type(error).__name__}).",
        )  # fmt: skip
    if isinstance(error, httpx.UnsupportedProtocol):
        return AxisError(
            None, "NODE_URL_INVALID",
            f"{base_url} is not a URL this client can call (it needs http:// or https://).",
        )  # fmt: skip
    cause = str(error) or type(error).__name__
    return AxisError(
        None, "NODE_UNREACHABLE",
        f"Cannot reach the node at {base_url} ({cause}): is it running, and is the URL right?",
    )  # fmt: skip
