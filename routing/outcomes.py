"""What a submission is answered: where each addressed code is delivered (`Route`), the
answer the client gets (`SubmissionResult`, one `RecipientOutcome` per addressed code), and the
refusals (`SubmissionRefused`, `NODE_BUSY` among them). Plain values, shared by the submission
service, the registry's routes and every entry point that renders an answer."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol

from envelopes.errors import Location, Problem
from envelopes.records import RecordKind
from routing.signature_policy import Signature

NODE_BUSY = "NODE_BUSY"
BUSY_RETRY_SECONDS = 1


class RouteOutcome(str, Enum):
    ROUTED = "routed"
    REDIRECTED = "redirected"
    REJECTED = "rejected"


REGISTRY_STALE = "REGISTRY_STALE"
"""Why a recipient the registry would reject is refused for now instead: the registry is stale
(its authority not heard of past the hard limit, `orgcodes.heartbeat`). Not final: retry later."""


CLOSED_REASONS = frozenset({"REGISTRY_CODE_CLOSED", "REGISTRY_CODE_AMBIGUOUS"})
"""The registry's reasons that say a code existed and closed (a merged code is redirected)."""


@dataclass(frozen=True, slots=True)
class Route:
    """Where one addressed code is delivered, or why it cannot be."""

    addressed: str
    outcome: RouteOutcome
    target: str | None = None
    chain: tuple[str, ...] = ()
    reason_code: str | None = None
    reason: str | None = None
    registry_version: int | None = None

    @property
    def closed(self) -> bool:
        """Whether the registry says the addressed code closed: merged or replaced (redirected
        elsewhere), split, or closed outright. Not for a code it does not know, nor while it is
        stale (no final answer)."""
        if self.outcome is RouteOutcome.REDIRECTED:
            return self.target != self.addressed
        return self.outcome is RouteOutcome.REJECTED and self.reason_code in CLOSED_REASONS


class RecipientResolver(Protocol):
    def route(self, code: str, *, at: datetime) -> Route:
        """Where `code` is delivered at `at` (implemented over the registry's resolver)."""


class SubmissionRefused(Exception):
    """The whole packet is refused; `code` is machine-readable, the message a sentence."""

    def __init__(self, code: str, message: str, problems: Sequence[dict[str, str]] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.problems = list(problems)

    @property
    def forbidden(self) -> bool:
        """The caller may not do this (as opposed to a packet that is wrong)."""
        return self.code in _FORBIDDEN

    @property
    def busy(self) -> bool:
        """Not now: nothing was recorded and the same packet may be sent again later (the node is
        saturated, or its registry is stale)."""
        return self.code in (NODE_BUSY, REGISTRY_STALE)


_FORBIDDEN = frozenset({"SUBMIT_SENDER_NOT_ALLOWED", "STATUS_NOT_A_RECIPIENT"})


@dataclass(frozen=True, slots=True)
class RecipientOutcome:
    addressed: str
    outcome: RouteOutcome
    target: str | None = None
    chain: tuple[str, ...] = ()
    reason_code: str | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "addressed": self.addressed,
            "outcome": self.outcome.value,
            "target": self.target,
            "chain": list(self.chain),
            "reason_code": self.reason_code,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> RecipientOutcome:
        chain = data.get("chain") or []
        return cls(
            addressed=str(data["addressed"]),
            outcome=RouteOutcome(str(data["outcome"])),
            target=_opt(data.get("target")),
            chain=tuple(str(c) for c in chain) if isinstance(chain, list) else (),
            reason_code=_opt(data.get("reason_code")),
            reason=_opt(data.get("reason")),
        )


@dataclass(frozen=True, slots=True)
class SubmissionResult:
    message_id: uuid.UUID
    kind: RecordKind
    sender_code: str
    document_id: str
    recipients: tuple[RecipientOutcome, ...]
    duplicate: bool = False
    """True when the same packet was submitted before: this is the first submission's answer."""
    findings: tuple[Problem, ...] = ()
    """What reading found wrong without refusing the packet (envelopes.policy)."""
    signature: Signature = Signature.VERIFIED
    """How the packet's origin is vouched for (routing.signature_policy)."""

    def as_dict(self) -> dict[str, object]:
        return {
            "message_id": str(self.message_id),
            "kind": self.kind.value,
            "sender": self.sender_code,
            "document_id": self.document_id,
            "duplicate": self.duplicate,
            "recipients": [r.as_dict() for r in self.recipients],
            "findings": [f.as_dict() for f in self.findings],
            "signature": self.signature.value,
        }

    def stored(self) -> str:
        """What the submissions table keeps of the answer, to give it again."""
        return json.dumps(
            {
                "recipients": [r.as_dict() for r in self.recipients],
                "findings": [problem_json(f) for f in self.findings],
                "signature": self.signature.value,
            }
        )


def busy() -> SubmissionRefused:
    """The refusal of a submission the node is too busy to take (nothing was recorded)."""
    return SubmissionRefused(
        NODE_BUSY,
        "The node is receiving more packets than it can accept right now; nothing was "
        f"recorded: send the packet again in {BUSY_RETRY_SECONDS} seconds.",
    )


def registry_stale(why: str, codes: Sequence[str]) -> SubmissionRefused:
    """The refusal of a packet whose recipients the stale registry would reject: not final."""
    return SubmissionRefused(
        REGISTRY_STALE,
        f"Nothing was recorded: {', '.join(codes)} cannot be answered for sure ({why}). Send the "
        f"packet again in {BUSY_RETRY_SECONDS} seconds or later.",
    )


def problem_json(problem: Problem) -> dict[str, object]:
    location = problem.location
    return {
        "code": str(problem.code), "message": problem.message,
        "line": location.line, "path": location.path,
    }  # fmt: skip


def problem_from_json(data: dict[str, object]) -> Problem:
    line = data.get("line")
    return Problem(
        str(data["code"]),
        str(data["message"]),
        Location(line if isinstance(line, int) else None, str(data.get("path") or "")),
    )


def _opt(value: object) -> str | None:
    return None if value is None else str(value)
