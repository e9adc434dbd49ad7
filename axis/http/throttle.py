"""Throttling failed authentication: after too many failures in a window, refuse before checking.

Every face counts its failed authentications here: `/v1` bearer secrets, the national SDK's
HMAC and the dashboard's sign-in. A failure is counted against the remote address, and against
the client id the request claims where the protocol names one (the SDK's `systemid`, the
dashboard's client id); a bearer secret names no client (the secret *is* the identity), so its
failures count against the address alone. A key with `limit` failures within the last `window`
is blocked: its requests are refused (429, with `Retry-After`) *without* checking their
credentials, so a blocked guesser learns nothing, not even a right guess. Successful
authentication is never delayed and adds nothing; the window slides, so a block ends at most
`window` after the failure that caused it, and a legitimate client sharing an address (or an
id) with a guesser is held back only while the guessing goes on.

The counts are in memory, per process: every process of a node counts on its own (several
processes let a guesser try `limit` times in each), and a restart forgets them. At most
`MAX_KEYS` keys are remembered; past that, the keys whose newest failure is oldest are forgotten
first.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

MAX_KEYS = 100_000


@dataclass(frozen=True, slots=True)
class Key:
    """What a failure is counted against: `address` (the remote IP) or `client` (a claimed
    client id), each with its own limit."""

    kind: str
    value: str


def address(host: str | None) -> Key:
    return Key("address", host or "unknown")


def client(client_id: str) -> Key:
    return Key("client", client_id)


class AuthThrottle:
    """Failed authentications per key in a sliding window (see the module's docstring)."""

    def __init__(
        self,
        *,
        per_address: int,
        per_client: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_KEYS,
    ) -> None:
        self._limits = {"address": per_address, "client": per_client}
        self._window = window
        self._clock = clock
        self._max_keys = max_keys
        self._failures: OrderedDict[Key, deque[float]] = OrderedDict()

    def retry_after(self, keys: Iterable[Key]) -> int | None:
        """Seconds until the most blocked of `keys` may try again; None when none is blocked."""
        now = self._clock()
        waits = [wait for key in keys if (wait := self._wait(key, now)) is not None]
        return max(waits) if waits else None

    def failed(self, keys: Iterable[Key]) -> None:
        """Count one failed authentication against each of `keys`."""
        now = self._clock()
        for key in keys:
            times = self._failures.pop(key, None) or deque()
            self._drop_old(times, now)
            times.append(now)
            while len(times) > self._limits[key.kind]:
                times.popleft()
            self._failures[key] = times  # the newest failure last
        while len(self._failures) > self._max_keys:
            self._failures.popitem(last=False)

    def _wait(self, key: Key, now: float) -> int | None:
        times = self._failures.get(key)
        if times is None:
            return None
        self._drop_old(times, now)
        if not times:
            del self._failures[key]
            return None
        if len(times) < self._limits[key.kind]:
            return None
        return max(1, math.ceil(times[0] + self._window - now))

    def _drop_old(self, times: deque[float], now: float) -> None:
        while times and times[0] <= now - self._window:
            times.popleft()
