"""When a failed delivery is tried again, and when it is given up: failure classes, growing
delays on retry tiers, and the horizon after which a delivery is dead-lettered.

Permanent failures (the recipient refuses the packet, its code is closed without successor) are
not retried: trying again cannot help and only delays the negative status to the sender.
Transient ones (endpoint down, time-out, 5xx, 429) wait on tier topics with growing delays;
after the last tier the last delay repeats until the horizon is reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum


class FailureClass(str, Enum):
    PERMANENT = "permanent"
    TRANSIENT = "transient"


@dataclass(frozen=True, slots=True)
class Failure:
    """Why one attempt failed: a machine code, a sentence, and whether retrying can help."""

    code: str
    message: str
    failure_class: FailureClass

    @property
    def permanent(self) -> bool:
        return self.failure_class is FailureClass.PERMANENT


def classify_http_status(status: int) -> FailureClass:
    """How a push endpoint's HTTP answer (not 2xx) is classed.

    408 (time-out) and 429 (too many requests) say "later"; other 4xx say "never"; 5xx are the
    endpoint's own trouble and pass.
    """
    if 200 <= status < 300:
        raise ValueError(f"HTTP {status} is a success, not a failure")
    if status in (408, 425, 429) or status >= 500:
        return FailureClass.TRANSIENT
    return FailureClass.PERMANENT


@dataclass(frozen=True, slots=True)
class RetryAt:
    """Try again: wait on tier `tier` (index into the policy's delays) until `due`."""

    tier: int
    delay: timedelta
    due: datetime


@dataclass(frozen=True, slots=True)
class GiveUp:
    """Dead-letter the delivery, for this reason."""

    reason: str
    exhausted: bool
    """True when retries ran out; False for a permanent failure."""


RetryDecision = RetryAt | GiveUp


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    delays: tuple[timedelta, ...] = (
        timedelta(seconds=30),
        timedelta(minutes=5),
        timedelta(hours=1),
        timedelta(hours=6),
    )
    horizon: timedelta = timedelta(hours=48)

    def __post_init__(self) -> None:
        if not self.delays or any(d <= timedelta(0) for d in self.delays):
            raise ValueError("a retry policy needs at least one positive delay")
        if list(self.delays) != sorted(self.delays):
            raise ValueError("retry delays must grow from one tier to the next")
        if self.horizon < self.delays[0]:
            raise ValueError("the retry horizon must be at least the first delay")

    def after(
        self, failure: Failure, *, failures_so_far: int, first_failure: datetime, now: datetime
    ) -> RetryDecision:
        """What to do after a failed attempt.

        `failures_so_far` counts this failure too (1 after the first failed attempt);
        `first_failure` is when the delivery first failed, the start of the horizon.
        """
        if failures_so_far < 1:
            raise ValueError("failures_so_far counts the failure being handled: at least 1")
        if failure.permanent:
            return GiveUp(reason=f"{failure.code}: {failure.message}", exhausted=False)
        tier = min(failures_so_far - 1, len(self.delays) - 1)
        delay = self.delays[tier]
        due = now + delay
        if due - first_failure > self.horizon:
            return GiveUp(
                reason=(
                    f"gave up after {failures_so_far} failed attempts over "
                    f"{_human(now - first_failure)} (horizon {_human(self.horizon)}); "
                    f"last error {failure.code}: {failure.message}"
                ),
                exhausted=True,
            )
        return RetryAt(tier=tier, delay=delay, due=due)


def _human(period: timedelta) -> str:
    seconds = int(period.total_seconds())
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds} s"
