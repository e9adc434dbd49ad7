"""Logging: JSON lines in production, readable console lines in development, ids bound."""

from __future__ import annotations

import io
import json
import logging

import structlog

from axis.logs import bound_ids, configure_logging, get_logger


def _reset() -> None:
    structlog.reset_defaults()
    logging.getLogger().handlers.clear()


def test_json_lines_carry_the_bound_request_and_message_ids() -> None:
    stream = io.StringIO()
    configure_logging(fmt="json", stream=stream)
    try:
        with bound_ids(request_id="req-1", message_id="msg-9"):
            get_logger("axis.test").info("packet accepted", recipients=2)
            logging.getLogger("aiokafka.producer").warning("library line")
        get_logger("axis.test").info("outside")
    finally:
        _reset()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0]["event"] == "packet accepted"
    assert lines[0]["recipients"] == 2
    assert (lines[0]["request_id"], lines[0]["message_id"]) == ("req-1", "msg-9")
    assert lines[0]["level"] == "info" and "timestamp" in lines[0]
    # A library that knows nothing of our ids still carries them, as JSON too.
    assert lines[1]["logger"] == "aiokafka.producer" and lines[1]["request_id"] == "req-1"
    assert "request_id" not in lines[2]


def test_console_format_is_for_people_not_json() -> None:
    stream = io.StringIO()
    configure_logging(fmt="console", stream=stream)
    try:
        with bound_ids(request_id="req-2"):
            get_logger("axis.test").info("hello", code="000.00.00.G22")
    finally:
        _reset()
    line = stream.getvalue().strip()
    assert "hello" in line and "request_id=req-2" in line and "code=000.00.00.G22" in line
    assert not line.startswith("{")


def test_exceptions_are_rendered_into_json_lines() -> None:
    stream = io.StringIO()
    configure_logging(fmt="json", stream=stream)
    try:
        try:
            raise ValueError("boom")
        except ValueError:
            get_logger("axis.test").exception("failed")
    finally:
        _reset()
    record = json.loads(stream.getvalue().splitlines()[0])
    assert "ValueError: boom" in record["exception"]
