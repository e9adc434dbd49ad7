"""A delivery worker in a process of its own, for tests that kill it (`kill -9`) mid-stream.

    python -m tests.support.worker_process BOOTSTRAP TOPIC_PREFIX DATABASE_URL SCHEMA

Every recipient receives by pull. It runs until killed or sent SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from axis.db import make_engine, session_factory
from routing.delivery_worker import DeliveryContext
from routing.destinations import StaticDirectory
from routing.node import WorkerRole, run_roles
from routing.payloads import PayloadStore
from routing.topics import TopicLayout


async def main(bootstrap: str, prefix: str, url: str, schema: str) -> None:
    engine = make_engine(url, schema=schema)
    sessions = session_factory(engine)
    layout = TopicLayout(prefix=prefix, partitions=2)
    context = DeliveryContext(
        sessions=sessions, payloads=PayloadStore(sessions), directory=StaticDirectory(),
        layout=layout, node_id="killable",
    )  # fmt: skip
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await run_roles(bootstrap, context, [WorkerRole.DELIVER], stop, poll_ms=100)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
