"""Applying a change set to the registry: `axis registry apply` and `import`,
`POST /v1/registry/changesets`, and the SDK's `registerAgency` and `deleteAgency` all call
`apply_change_set`, so a change made any way is refused, stored, signed into the snapshot and
published the same way.

Only the registry authority's node applies changes; a follower refuses them with
`REGISTRY_NOT_AUTHORITY` (HTTP 409) and receives them over the registry topic. The version
stored records who applied it (`actor`) and through what (`source`): that is the change's audit
trail.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from axis.node.registry_authority import after_change
from axis.settings import Settings
from orgcodes.changes import ChangeSet
from orgcodes.errors import RegistryCode, RegistryError
from orgcodes.service import RegistryService
from orgcodes.store import VersionRecord


@dataclass(frozen=True, slots=True)
class Applied:
    """A change set applied as a registry version."""

    record: VersionRecord
    warnings: list[str] = field(default_factory=list)
    """What did not follow (the version is stored either way): e.g. not yet published."""


def refuse_unless_authority(settings: Settings) -> None:
    """`RegistryError` `REGISTRY_NOT_AUTHORITY` on a follower (check it before costly work)."""
    if settings.registry_mode == "follower":
        raise RegistryError(
            RegistryCode.NOT_AUTHORITY,
            "this node follows the registry authority (AXIS_REGISTRY_MODE=follower); change "
            "sets are applied on the authority's node and arrive here over the registry topic",
        )


async def apply_change_set(
    service: RegistryService,
    settings: Settings,
    change_set: ChangeSet,
    *,
    actor: str,
    source: str = "local",
) -> Applied:
    """Apply `change_set` as the next version (all of it, or nothing: `RegistryError` says
    why), then sign the snapshot and publish the version (`axis.node.registry_authority`)."""
    refuse_unless_authority(settings)
    record = await service.apply(change_set, actor=actor, source=source)
    return Applied(record, await after_change(service, settings))
