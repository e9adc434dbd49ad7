"""Tasks that run together until a stop: the one supervision every long-running part uses
(the routing workers of a process, and the node around them with its HTTP server)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
from typing import Any


async def run_together(work: Mapping[str, Coroutine[Any, Any, None]], stop: asyncio.Event) -> None:
    """Run each coroutine of `work` (by task name) until `stop` is set or one of them ends; the
    first that fails stops the others, which are awaited, and its error is raised."""
    tasks = [asyncio.create_task(coroutine, name=name) for name, coroutine in work.items()]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            task.result()
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
