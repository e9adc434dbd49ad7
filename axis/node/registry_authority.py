"""What an authority's node does after each registry change: write the signed snapshot (the
file followers and `GET /v1/registry/snapshot` serve) and publish the queued versions.

The CLI (`axis registry apply|import`) and the HTTP API (`POST /v1/registry/changesets`) both
call `after_change`, so a change applied either way leaves the same trail.
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path

from axis.node.parts import registry_publisher, topic_layout
from axis.settings import Settings
from orgcodes.service import RegistryService
from orgcodes.snapshot import write_snapshot
from routing.topics import ensure_topics
from signing.certificates import load_certificate, load_private_key

SNAPSHOT_NAME = "registry-snapshot.json"


def snapshot_path(settings: Settings) -> Path | None:
    """Where this node keeps its signed snapshot, if it signs them."""
    directory = settings.registry_snapshot_directory
    return directory / SNAPSHOT_NAME if directory is not None else None


def write_current_snapshot(service: RegistryService, settings: Settings) -> Path | None:
    """Sign the registry as it now stands into the snapshot file (replaced atomically)."""
    path = snapshot_path(settings)
    if path is None or settings.registry_key is None or settings.registry_cert is None:
        return None
    data = write_snapshot(
        service.registry,
        key=load_private_key(settings.registry_key),
        certificate=load_certificate(settings.registry_cert),
        created_at=datetime.now(UTC),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.parent / f".{SNAPSHOT_NAME}.partial"
    partial.write_bytes(data)
    os.replace(partial, path)  # readers never see half a file
    return path


async def after_change(service: RegistryService, settings: Settings) -> list[str]:
    """Snapshot and publish after a change; returns warnings (the change is stored either way)."""
    warnings: list[str] = []
    if settings.registry_mode != "authority":
        return warnings
    await asyncio.to_thread(write_current_snapshot, service, settings)
    try:
        spec = topic_layout(settings).registry
        await asyncio.wait_for(ensure_topics(settings.kafka_bootstrap, (spec,)), 30)
        await asyncio.wait_for(registry_publisher(settings, service).publish_pending(), 60)
    except Exception as error:  # any broker failure: the version stays in the outbox
        warnings.append(
            f"REGISTRY_NOT_PUBLISHED: version {service.version} is applied here but not yet on "
            f"the registry topic ({type(error).__name__}: {error}); it stays queued: run "
            "axis registry publish once the broker is reachable"
        )
    return warnings
