"""`axis serve` on every core: several node processes behind one port, kept running.

One Python process uses one core. `axis serve` with `AXIS_PROCESSES` above 1 (the default is one
per core) is a supervisor that starts that many node processes and does no work itself. Each is
a whole node (HTTP API, delivery, retry and tracking workers); they listen on the same port
(`SO_REUSEPORT`: the kernel spreads the connections over them) and share the work on Kafka as
members of the same consumer groups. Only the first one syncs the registry (an authority's
publisher, a follower's reader); all of them pick up a new registry version from the database.

The supervisor forwards SIGTERM/SIGINT to its processes and waits for them to finish what they
hold; it starts again a process that died, after a pause that grows while it keeps dying
(`SERVE_PROCESS_EXITED` in the log, with its exit status). A process that cannot start at all
stops the supervisor with its status. Killed outright (SIGKILL), the supervisor takes its
processes with it (Linux's parent-death signal), so a crash of `axis serve` is a crash of all of
them, and nothing keeps serving unsupervised.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog

log = structlog.get_logger(__name__)

CHILD_ENV = "AXIS_SERVE_PROCESS"
"""Set by the supervisor for each of its processes: its index (0 syncs the registry)."""
PARENT_ENV = "AXIS_SERVE_SUPERVISOR"
"""The supervisor's pid, so that a process can tell it was orphaned before it asked to be killed."""
FAST_EXIT_SECONDS = 10.0
"""A process that dies this soon after starting, three times in a row, cannot start."""
MAX_PAUSE_SECONDS = 30.0
STOP_SECONDS = 60.0

_PR_SET_PDEATHSIG = 1


def process_count(setting: int) -> int:
    """`AXIS_PROCESSES`: 0 is one per core (those this process may run on)."""
    if setting > 0:
        return setting
    return max(1, len(os.sched_getaffinity(0)))


def child_index() -> int | None:
    """This process's index when a supervisor started it, else None."""
    value = os.environ.get(CHILD_ENV)
    return int(value) if value is not None and value.isdigit() else None


def die_with_supervisor() -> None:
    """Ask Linux to SIGKILL this process when its parent dies; exit if that happened already."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the supervisor's SIGTERM is what stops us
        return
    expected = os.environ.get(PARENT_ENV)
    if expected is not None and str(os.getppid()) != expected:
        os._exit(1)


def shared_socket(host: str, port: int) -> socket.socket:
    """A listening socket on `host:port` that the node's other processes bind too."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(False)
    return sock


@dataclass(slots=True)
class _Child:
    index: int
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    fast_exits: int = 0
    restart_at: float = 0.0


class Supervisor:
    """Runs `count` node processes until SIGTERM/SIGINT; returns the exit status."""

    def __init__(self, count: int, command: list[str], say: Callable[[str], None]) -> None:
        self._children = [_Child(i) for i in range(count)]
        self._command = command
        self._say = say
        self._stopping = False

    def run(self) -> int:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._stop)
        for child in self._children:
            self._start(child)
        status = 0
        while True:
            if self._stopping:
                return self._stop_all(status)
            for child in self._children:
                process = child.process
                if process is None:
                    if time.monotonic() >= child.restart_at:
                        self._start(child)
                    continue
                code = process.poll()
                if code is None:
                    continue
                child.process = None
                if self._stopping:
                    continue
                quick = time.monotonic() - child.started < FAST_EXIT_SECONDS
                child.fast_exits = child.fast_exits + 1 if quick else 0
                log.error("SERVE_PROCESS_EXITED", process=child.index, status=code)
                if child.fast_exits >= 3:
                    self._say(
                        f"SERVE_PROCESS_FAILING: node process {child.index} exited with status "
                        f"{code} three times right after starting; stopping (see its log above)"
                    )
                    self._stopping = True
                    status = code or 1
                    break
                pause = min(MAX_PAUSE_SECONDS, 2.0**child.fast_exits)
                child.restart_at = time.monotonic() + pause
            time.sleep(0.2)

    def _start(self, child: _Child) -> None:
        env = {**os.environ, CHILD_ENV: str(child.index), PARENT_ENV: str(os.getpid())}
        child.process = subprocess.Popen(self._command, env=env)
        child.started = time.monotonic()

    def _stop(self, signum: int, _frame: object) -> None:
        self._stopping = True

    def _stop_all(self, status: int) -> int:
        running = [c.process for c in self._children if c.process is not None]
        for process in running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return status


def serve_command() -> list[str]:
    """The command line of one node process: this `axis serve`, in this interpreter."""
    return [sys.executable, "-m", "axis.cli.main", "serve"]
