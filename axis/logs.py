"""Logging set-up: structlog for our lines and the standard library's (aiokafka, SQLAlchemy,
uvicorn), JSON lines in production, readable console output in development, with the request and
message ids of the work in hand bound into every line.

What a log line never holds, in any format:
- local variables of a traceback: tracebacks are rendered plain (file, line, code, exception),
  because a rich traceback's locals hold whatever the failing frame held (a caller's bearer
  secret, a packet's bytes) and rendering them took seconds per request on the event loop;
- secrets: a value whose key names one (`authorization`, `secret`, `password`, `token`,
  `hash_header`, `cookie`, `*_key`) is replaced by `[redacted]`, wherever it is bound;
- packet bytes: a `bytes` value is logged as its length, and a long string is cut short.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Literal, TextIO

import structlog
from structlog.typing import EventDict, Processor

REDACTED = "[redacted]"
MAX_VALUE_CHARS = 1000
"""A logged string longer than this is cut: a log line is not where a packet is kept."""
_SENSITIVE = ("authorization", "secret", "password", "passwd", "token", "hash_header", "cookie")


def is_sensitive(key: str) -> bool:
    """Whether a value logged under `key` is a secret."""
    name = key.lower().replace("-", "_")
    return any(word in name for word in _SENSITIVE) or name == "key" or name.endswith("_key")


def _scrub(value: object, depth: int = 0) -> object:
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(value)} bytes>"
    if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
        return f"{value[:MAX_VALUE_CHARS]}... ({len(value):,} characters)"
    if isinstance(value, Mapping) and depth < 4:
        return {
            k: REDACTED if is_sensitive(str(k)) else _scrub(v, depth + 1) for k, v in value.items()
        }
    if isinstance(value, list | tuple) and depth < 4:
        return [_scrub(item, depth + 1) for item in value]
    return value


def redact(_logger: object, _name: str, event_dict: EventDict) -> EventDict:
    """Processor: secrets out, bytes as their length, long strings cut (see the docstring)."""
    for key, value in event_dict.items():
        if key in ("exc_info", "exception"):
            continue
        event_dict[key] = REDACTED if is_sensitive(key) else _scrub(value)
    return event_dict


# Processors every line goes through, ours and the standard library's alike.
_SHARED: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.StackInfoRenderer(),
    redact,
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
        else structlog.dev.ConsoleRenderer(
            colors=(stream or sys.stderr).isatty(),
            exception_formatter=structlog.dev.plain_traceback,  # never locals (see above)
        )
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


def _keep(logger: object, name: str, event_dict: EventDict) -> EventDict:
    """The console renderer formats exceptions itself; JSON needs them as text first."""
    return event_dict


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger


def new_request_id() -> str:
    return uuid.uuid4().hex


def new_error_id() -> str:
    """The id a 500 answer and its log line share, so an operator finds one from the other."""
    return uuid.uuid4().hex[:16]


@contextmanager
def bound_ids(**ids: str) -> Iterator[None]:
    """Bind ids (e.g. `request_id`, `message_id`) into every log line written inside the block,
    including lines from code that knows nothing of them."""
    with structlog.contextvars.bound_contextvars(**ids):
        yield
