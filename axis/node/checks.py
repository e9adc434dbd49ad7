"""Health checks of a node's surroundings (Java, broker, database, the bus's binding to the
database, data dir), each with what to do when it fails; `axis doctor` prints them and the
readiness probe reuses them."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
from dataclasses import dataclass

from aiokafka.errors import KafkaError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from axis.broker.cluster import metadata_brokers
from axis.broker.probe import ProbeError, probe
from axis.migrations.runner import current_revision, head_revision
from axis.node.bus_binding import (
    BUS_BOUND_TO_OTHER_DATABASE,
    BindingError,
    bus_state,
    conflict,
    remedy,
)
from axis.settings import Settings, split_host_port
from axis.store.db import DatabaseUrlError, make_engine

MINIMUM_JAVA = 17


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


async def check_java() -> Check:
    java = shutil.which("java")
    if java is None:
        return Check("java", False, "java not found on PATH",
                     "run `make setup` (installs openjdk-17-jre-headless)")  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        java, "-version", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output = (await process.communicate())[0].decode(errors="replace")
    match = re.search(r'version "(\d+)(?:\.(\d+))?', output)
    if match is None:
        return Check("java", False, f"cannot read the version of {java}", "reinstall Java 17+")
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8" style
        major = int(match.group(2))
    first_line = output.splitlines()[0] if output else java
    if major < MINIMUM_JAVA:
        return Check("java", False, first_line, f"Kafka 4 needs Java {MINIMUM_JAVA} or newer")
    return Check("java", True, first_line)


async def check_broker(settings: Settings) -> Check:
    """Every bootstrap server answers ApiVersions; the cluster serves metadata."""
    releases = set()
    for server in settings.bootstrap_servers:
        host, port = split_host_port(server, what="AXIS_KAFKA_BOOTSTRAP")
        try:
            releases.add((await probe(host, port, timeout=3)).release)
        except ProbeError as exc:
            return Check("broker", False, str(exc),
                         "start the local broker with `axis broker start` "
                         "(or point AXIS_KAFKA_BOOTSTRAP at a running cluster)")  # fmt: skip
    try:
        brokers = await metadata_brokers(settings.kafka_bootstrap)
    except KafkaError as exc:
        return Check("broker", False, f"metadata request failed: {exc}",
                     "check the broker's log (data dir kafka/node-1/logs/server.log)")  # fmt: skip
    return Check(
        "broker", True,
        f"Apache Kafka {', '.join(sorted(releases))} at {settings.kafka_bootstrap}; "
        f"{brokers} broker(s) in the cluster{_local_release(settings)}",
    )  # fmt: skip


def _local_release(settings: Settings) -> str:
    """The exact release when the broker is the one `axis broker start` runs from the data dir."""
    try:
        described = json.loads((settings.data_dir / "kafka" / "cluster.json").read_text())
    except (OSError, ValueError):
        return ""
    local = {f"{n['host']}:{n['port']}" for n in described.get("nodes", [])}
    if local & set(settings.bootstrap_servers):
        return f"; local broker assembled from Apache Kafka {described.get('kafka_version')}"
    return ""


async def check_database(settings: Settings) -> Check:
    """The database answers and its schema is at the newest migration."""
    try:
        engine = make_engine(settings.database_url, schema=settings.database_schema)
    except DatabaseUrlError as exc:
        return Check("database", False, str(exc), "fix AXIS_DATABASE_URL")
    shown = engine.url.render_as_string(hide_password=True)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        current = await current_revision(engine)
    except (SQLAlchemyError, OSError) as exc:
        return Check("database", False, f"{shown}: {str(exc).splitlines()[0]}",
                     "start the database or fix AXIS_DATABASE_URL")  # fmt: skip
    finally:
        await engine.dispose()
    head = head_revision()
    if current != head:
        return Check("database", False,
                     f"{shown}: schema at revision {current or 'none'}, code expects {head}",
                     "run `axis db upgrade`")  # fmt: skip
    return Check("database", True, f"{shown}: reachable, migrations at head ({head})")


async def check_bus_binding(settings: Settings) -> Check:
    """The bus (the topic prefix on the broker) belongs to this database, or to none yet."""
    name = "bus binding"
    try:
        engine = make_engine(settings.database_url, schema=settings.database_schema)
    except DatabaseUrlError:
        return Check(name, False, "cannot tell: the database URL is unusable",
                     "fix the database check first")  # fmt: skip
    try:
        state = await bus_state(settings, engine)
    except (SQLAlchemyError, OSError, KafkaError, BindingError) as exc:
        return Check(name, False, f"cannot tell: {str(exc).splitlines()[0] if str(exc) else exc!r}",
                     "fix the database and broker checks first")  # fmt: skip
    finally:
        await engine.dispose()
    if state.binding is None:
        detail = (
            f"the bus ({state.bus}) is bound to no database yet: the first node to start binds "
            f"it to its own (this one is {state.database_id})"
        )
        return Check(name, True, detail)
    if state.bound_here:
        detail = f"the bus ({state.bus}) is bound to this database ({state.database_id})"
        return Check(name, True, detail)
    return Check(name, False, f"{BUS_BOUND_TO_OTHER_DATABASE}: {conflict(state)}", remedy(state))


def check_data_dir(settings: Settings) -> Check:
    path = settings.data_dir.resolve()
    probe_dir = path if path.exists() else next((p for p in path.parents if p.exists()), path)
    if not os.access(probe_dir, os.W_OK):
        return Check(
            "data dir", False, f"{path} is not writable", "fix AXIS_DATA_DIR or permissions"
        )
    return Check("data dir", True, f"{path}" + ("" if path.exists() else " (created on first use)"))


async def run_all(settings: Settings) -> list[Check]:
    java, broker, database, binding = await asyncio.gather(
        check_java(), check_broker(settings), check_database(settings), check_bus_binding(settings)
    )
    return [java, broker, database, binding, check_data_dir(settings)]
