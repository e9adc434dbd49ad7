"""Serving the app with uvicorn inside the node's event loop, stopped with the node; over TLS
when the settings name a certificate (`axis.http.tls`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

from axis.http.tls import TlsHttpToolsProtocol, server_tls
from axis.node.processes import shared_socket
from axis.settings import Settings


def http_server(app: FastAPI, settings: Settings) -> uvicorn.Server:
    """The server of `app` on `settings.listen`; raises `TlsError` when the TLS files named by
    the settings cannot serve."""
    host, port = settings.listen_host_port
    tls = server_tls(settings)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        # httptools (C); both it and h11 answer `Expect: 100-continue` (the national SDK sends
        # it); ours also hand the client certificate to the app
        http=TlsHttpToolsProtocol,
        **(tls.uvicorn_options() if tls is not None else {}),
        lifespan="off",
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=10,
    )
    return _NodeServer(config)


class _NodeServer(uvicorn.Server):
    """A uvicorn server that leaves signals to the node (which stops everything in order)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_http(
    app: FastAPI, settings: Settings, stop: asyncio.Event, *, shared: bool = False
) -> None:
    """Serve until `stop` is set; `shared`: on a port the node's other processes bind too
    (`axis.node.processes`)."""
    server = http_server(app, settings)
    sockets = [shared_socket(*settings.listen_host_port)] if shared else None
    task = asyncio.create_task(server.serve(sockets=sockets))
    waiter = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()
            if not server.started:
                raise OSError(f"the HTTP server could not listen on {settings.listen}")
            return
    finally:
        server.should_exit = True
        waiter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
