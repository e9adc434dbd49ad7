"""Push delivery: POST the packet to the agency's endpoint; a 2xx answer means delivered.

The packet goes as it was signed (`application/xml`, the bytes untouched); what the axis knows
about it travels in headers. A retry resends the same message id (`X-Axis-Message-Id`), so an
endpoint can recognise a packet it already has: Kafka delivers to the worker at least once, and
a node that crashes after the POST but before recording it will POST again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

import httpx

from routing.retry import Failure, FailureClass, classify_http_status

USER_AGENT = "axis-node"
_BODY_EXCERPT = 200


@dataclass(frozen=True, slots=True)
class PushRequest:
    endpoint: str
    message_id: str
    sender_code: str
    recipient_code: str
    document_id: str
    kind: str
    attempt: int
    packet_sha256: str

    def headers(self) -> Mapping[str, str]:
        return {
            "Content-Type": "application/xml",
            "User-Agent": USER_AGENT,
            "X-Axis-Message-Id": self.message_id,
            "X-Axis-Sender": self.sender_code,
            "X-Axis-Recipient": self.recipient_code,
            "X-Axis-Document-Id": self.document_id,
            "X-Axis-Kind": self.kind,
            "X-Axis-Attempt": str(self.attempt),
            "X-Axis-Packet-SHA256": self.packet_sha256,
        }


class Pusher:
    """POSTs packets over one pooled HTTP client; never raises for the endpoint's trouble."""

    def __init__(self, *, timeout: float = 30.0, client: httpx.AsyncClient | None = None) -> None:
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout), follow_redirects=False
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def push(
        self, request: PushRequest, body: AsyncIterator[bytes] | bytes
    ) -> Failure | None:
        """None when the endpoint took the packet (2xx); otherwise why not, classified."""
        try:
            response = await self._client.post(
                request.endpoint, content=body, headers=dict(request.headers())
            )
        except httpx.TimeoutException as error:
            return Failure(
                "PUSH_TIMEOUT",
                f"{request.endpoint} did not answer in time ({type(error).__name__}).",
                FailureClass.TRANSIENT,
            )
        except httpx.HTTPError as error:
            return Failure(
                "PUSH_UNREACHABLE",
                f"{request.endpoint} could not be reached: {type(error).__name__} {error}".strip(),
                FailureClass.TRANSIENT,
            )
        if response.is_success:
            return None
        excerpt = response.text[:_BODY_EXCERPT].replace("\n", " ")
        return Failure(
            f"PUSH_HTTP_{response.status_code}",
            f"{request.endpoint} answered HTTP {response.status_code}: {excerpt}",
            classify_http_status(response.status_code),
        )
