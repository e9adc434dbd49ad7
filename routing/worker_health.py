"""What the workers of one process say of themselves: moving, or stuck since when and why.

A worker is stuck when it makes no progress while work waits: its batches keep failing, or
records wait on its partitions and none arrives, for longer than the stall time. The worker
loop (`routing.worker_loop`) then rebuilds its consumer and producer, and says it is stuck
until a batch goes through again; `/readyz` reports the process not ready meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from routing.clock import Clock, utc_now


@dataclass(frozen=True, slots=True)
class WorkerState:
    moving: bool
    since: datetime
    problem: str | None = None
    rebuilt: int = 0
    """How often the worker rebuilt its consumer and producer since this process started."""

    def as_json(self) -> dict[str, object]:
        return {
            "ok": self.moving,
            "since": self.since.isoformat(),
            "problem": self.problem,
            "rebuilt": self.rebuilt,
        }


class WorkerHealth:
    def __init__(self, clock: Clock = utc_now) -> None:
        self._clock = clock
        self._states: dict[str, WorkerState] = {}

    def moving(self, name: str) -> None:
        current = self._states.get(name)
        if current is None or not current.moving:
            rebuilt = current.rebuilt if current else 0
            self._states[name] = WorkerState(True, self._clock(), rebuilt=rebuilt)

    def stuck(self, name: str, problem: str) -> None:
        current = self._states.get(name)
        rebuilt = current.rebuilt if current else 0
        since = current.since if current is not None and not current.moving else self._clock()
        self._states[name] = WorkerState(False, since, problem, rebuilt)

    def rebuilt(self, name: str) -> None:
        current = self._states.get(name) or WorkerState(False, self._clock())
        self._states[name] = WorkerState(
            current.moving, current.since, current.problem, current.rebuilt + 1
        )

    @property
    def ok(self) -> bool:
        return all(state.moving for state in self._states.values())

    def report(self) -> dict[str, dict[str, object]]:
        return {name: state.as_json() for name, state in sorted(self._states.items())}
