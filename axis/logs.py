"""Logging set-up: structlog for our lines and the standard library's (aiokafka, SQLAlchemy,
uvicorn), JSON lines in production, readable console output in development, with the request and
message ids of the work in hand bound into every line."""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal, TextIO

import structlog
from structlog.typing import Processor

# Processors every line goes through, ours and the standard library's alike.
_SHARED: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.StackInfoRenderer(),
]


def configure_logging(
    *,
    fmt: Literal["console", "json"],
    level: str = "INFO",
    stream: TextIO | None = None,
) -> None:
    """Configure structlog and the root logger; called once by each entry point at start-up."""
    renderer: Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=(stream or sys.stderr).isatty())
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info if fmt == "json" else _keep,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Chatty libraries stay at WARNING unless we debug.
    for name in ("aiokafka", "kafka", "sqlalchemy.engine", "alembic"):
        logging.getLogger(name).setLevel(level if level == "DEBUG" else "WARNING")

    structlog.configure(
        processors=[
            *_SHARED,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def _keep(
    logger: object, name: str, event_dict: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """The console renderer formats exceptions itself; JSON needs them as text first."""
    return event_dict


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def bound_ids(**ids: str) -> Iterator[None]:
    """Bind ids (e.g. `request_id`, `message_id`) into every log line written inside the block,
    including lines from code that knows nothing of them."""
    with structlog.contextvars.bound_contextvars(**ids):
        yield
