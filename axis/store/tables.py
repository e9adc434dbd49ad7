"""Every table of the node, gathered for migrations: each package owns its own metadata.

The routing modules are imported for their side effect: each registers its tables on
`routing.sql.metadata`.
"""

from __future__ import annotations

from sqlalchemy import MetaData

import axis.keys.agency_keys
import axis.node.bus_binding
import axis.store.audit
import axis.store.credentials
import axis.store.dashboard_sessions
import axis.store.trust_tables  # noqa: F401  (register their tables on axis.store.db.metadata)
import routing.dead_letters
import routing.destinations
import routing.inbox_store
import routing.submission
import routing.tracking  # noqa: F401
from axis.store.db import metadata as axis_metadata
from orgcodes.tables import metadata as registry_metadata
from routing.evidence import metadata as evidence_metadata
from routing.payloads import metadata as payload_metadata
from routing.sql import metadata as routing_metadata


def all_metadata() -> list[MetaData]:
    """The metadata of every package, in migration order."""
    return [axis_metadata, payload_metadata, evidence_metadata, routing_metadata, registry_metadata]
