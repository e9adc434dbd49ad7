"""The one supervision of tasks that run together (`routing.together`)."""

from __future__ import annotations

import asyncio

import pytest

from routing.together import run_together


async def waits(stop: asyncio.Event, stopped: list[str], name: str) -> None:
    await stop.wait()
    stopped.append(name)


async def test_the_first_failure_stops_the_others_and_is_raised() -> None:
    stop, stopped = asyncio.Event(), list[str]()

    async def fails() -> None:
        await asyncio.sleep(0.01)
        raise RuntimeError("broker gone")

    with pytest.raises(RuntimeError, match="broker gone"):
        await run_together(
            {"a": waits(stop, stopped, "a"), "b": waits(stop, stopped, "b"), "x": fails()}, stop
        )
    assert stop.is_set()
    assert sorted(stopped) == ["a", "b"]  # the others saw the stop and ended


async def test_a_stop_ends_every_task() -> None:
    stop, stopped = asyncio.Event(), list[str]()
    running = asyncio.create_task(
        run_together({"a": waits(stop, stopped, "a"), "b": waits(stop, stopped, "b")}, stop)
    )
    await asyncio.sleep(0.01)
    assert not running.done()
    stop.set()
    await asyncio.wait_for(running, 1)
    assert sorted(stopped) == ["a", "b"]
