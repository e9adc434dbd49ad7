"""Stand-ins for signing and the registry in tests of routing's own logic.

The end-to-end tests use the real signing package and registry; these let the submission
service's routing rules be tested on their own, with a registry written as a small table.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from envelopes.model import Packet
from envelopes.parsing import parse_packet
from envelopes.spool import PacketBytes, in_memory
from routing.outcomes import Route, RouteOutcome


@dataclass(frozen=True, slots=True)
class Unsigned:
    packet: Packet
    signed_for: str | None
    content_sha256: bytes
    """With no signature, the whole packet is its content."""


class FromIsSigner:
    """Parses safely and takes the packet's From as the signer (no signature involved)."""

    def verify(self, data: PacketBytes, *, at: datetime) -> Unsigned:
        packet = parse_packet(in_memory(data))
        return Unsigned(packet, packet.sender_code, hashlib.sha256(in_memory(data)).digest())


@dataclass
class TableResolver:
    """Active codes, redirects (closed code -> chain ending at its successor), closed codes."""

    active: set[str] = field(default_factory=set)
    redirects: dict[str, tuple[str, ...]] = field(default_factory=dict)
    version: int = 7

    def route(self, code: str, *, at: datetime) -> Route:
        if code in self.active:
            return Route(code, RouteOutcome.ROUTED, code, registry_version=self.version)
        chain = self.redirects.get(code)
        if chain:
            return Route(code, RouteOutcome.REDIRECTED, chain[-1], (code, *chain), None, None,
                         self.version)  # fmt: skip
        return Route(
            code, RouteOutcome.REJECTED, reason_code="REGISTRY_UNKNOWN_CODE",
            reason=f"{code} is not in the registry", registry_version=self.version,
        )  # fmt: skip
