"""Registry liveness: the authority's signed heartbeat, and what a follower makes of its age.

The registry authority publishes a heartbeat every few seconds (its version and the time,
signed with its registry key) on a compacted topic of its own. A follower that checks it
against the configured authority certificate notes when the authority was last heard of. From
that age:
- `current`: the registry may be trusted;
- `degraded` past the soft limit: the node says so (`/readyz`, `axis registry status`,
  metrics), and goes on routing;
- `stale` past the hard limit: the node no longer gives a *final* answer the registry may have
  changed since: a recipient the stale registry would reject (unknown, closed, split) is refused
  for now with `REGISTRY_STALE` (retry later) rather than answered with a permanent 02. A code
  routed or redirected is still delivered: if the registry moved on, the delivery is re-routed
  in flight once it catches up.
A heartbeat whose signature does not hold is ignored (logged), never counted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from cryptography import x509

from envelopes.records import RegistryHeartbeat
from orgcodes.model import to_ms
from signing.certificates import PrivateKey
from signing.detached import DetachedSignature, sign_detached, verify_detached
from signing.errors import SignatureCode, SignatureError

_CONTEXT = b"axis-registry-heartbeat\n"


class Liveness(StrEnum):
    CURRENT = "current"
    DEGRADED = "degraded"
    STALE = "stale"


@dataclass(frozen=True, slots=True)
class Limits:
    """How old the last heartbeat may be before the registry is degraded, then stale."""

    degraded: timedelta
    stale: timedelta

    def judge(self, heard_at: datetime | None, now: datetime) -> Liveness:
        if heard_at is None or now - heard_at > self.stale:
            return Liveness.STALE
        if now - heard_at > self.degraded:
            return Liveness.DEGRADED
        return Liveness.CURRENT

    def stale_reason(self, heard_at: datetime | None, now: datetime) -> str | None:
        """Why the registry may not give a final answer any more, or None while it may."""
        if self.judge(heard_at, now) is not Liveness.STALE:
            return None
        if heard_at is None:
            return "this node has not yet heard from the registry authority (no heartbeat)"
        return (
            f"the registry authority was last heard of at {heard_at:%Y-%m-%d %H:%M:%S} UTC, "
            f"more than {self.stale} ago"
        )


def signed_bytes(version: int, at: datetime, publisher: str) -> bytes:
    """What the signature covers: the version, the time in milliseconds and the publisher."""
    return _CONTEXT + f"{version}\n{to_ms(at)}\n{publisher}".encode()


def make_heartbeat(
    version: int,
    at: datetime,
    publisher: str,
    signer: tuple[PrivateKey, x509.Certificate] | None,
) -> RegistryHeartbeat:
    """A heartbeat, signed when the authority holds a registry key."""
    at = at.replace(microsecond=at.microsecond // 1000 * 1000)  # what the record keeps
    signature = None
    if signer is not None:
        detached = sign_detached(signed_bytes(version, at, publisher), *signer)
        signature = json.dumps(detached.to_json())
    return RegistryHeartbeat(version, at, publisher, signature)


def check_heartbeat(
    heartbeat: RegistryHeartbeat, authorities: Sequence[x509.Certificate], *, at: datetime
) -> None:
    """Raises `SignatureError` unless `heartbeat` is signed by one of `authorities` (with none
    configured, an unsigned heartbeat is taken as the registry topic's change sets are)."""
    if not authorities:
        return
    if heartbeat.signature_json is None:
        raise SignatureError(
            SignatureCode.MALFORMED,
            "The registry heartbeat is not signed, and this node checks heartbeats against the "
            "registry authority's certificate (AXIS_REGISTRY_AUTHORITY_CERT).",
        )
    try:
        document = json.loads(heartbeat.signature_json)
    except ValueError:
        raise SignatureError(
            SignatureCode.MALFORMED, "The registry heartbeat's signature is not JSON."
        ) from None
    data = signed_bytes(heartbeat.version, heartbeat.at, heartbeat.publisher)
    verify_detached(data, DetachedSignature.from_json(document), authorities, at=at)
