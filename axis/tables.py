"""Every table of the node, gathered for migrations: each package owns its own metadata."""

from __future__ import annotations

from sqlalchemy import MetaData

import axis.audit  # noqa: F401  (registers its tables on axis.db.metadata)
from axis.db import metadata as axis_metadata


def all_metadata() -> list[MetaData]:
    return [axis_metadata]
