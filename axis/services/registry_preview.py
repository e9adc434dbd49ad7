"""What a change set will do on this node, before anyone applies it: `axis registry preview`
and `POST /v1/registry/preview` both call `preview`.

For each code that stops receiving at the change set's effective time (`orgcodes.impact`), it
counts what this node holds for that code and says what will become of it, by the rules the
node runs today:
- deliveries on their way (queued, retrying) are re-routed to the successor at the effective
  time (`routing.retry_lookahead`), or end with a 02 to the sender when the code is split or
  closed without successor;
- ended deliveries (failed, dead-lettered) go to the successor if an operator replays them;
- packets in the code's inbox that nobody has fetched move to the successor's inbox once the
  grace period has passed (`routing.handover`), or stay when there is no single successor;
  packets its system fetched and never acknowledged stay with it: many systems never
  acknowledge, and a copy to the successor would duplicate documents already handled;
- clients acting for the code keep their rights on it and gain none on the successor;
- certificates authorized for the code stop signing for it once the signing grace after the
  effective time has passed (`routing.acceptance.closed_signer`).
Nothing is stored: the change set is applied to a copy of the registry in memory.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from axis.store import credentials
from axis.store.trust_repository import TrustRepository
from orgcodes.changes import ChangeSet
from orgcodes.impact import CeasingCode, Impact, impact
from orgcodes.resolver import Outcome
from orgcodes.service import RegistryService
from routing.inbox_store import Inbox
from routing.lifecycle import Phase
from routing.tracking import TrackingStore

ON_THE_WAY = (Phase.QUEUED, Phase.RETRYING)
ENDED = (Phase.FAILED, Phase.DEAD)


@dataclass(frozen=True, slots=True)
class CodeImpact:
    """One code that stops receiving, what this node holds for it, and what becomes of it."""

    unit: CeasingCode
    on_the_way: int
    ended: int
    unfetched: int
    clients: tuple[str, ...]
    certificates: tuple[str, ...]
    """Serial numbers of the certificates authorized to sign for the code, not revoked."""
    fetched: int = 0
    """Deliveries its system fetched and never acknowledged (tracked `fetched`)."""

    def what_happens(self) -> list[str]:
        """Sentences for the Government Office, one per thing the node holds for the code."""
        unit = self.unit
        going = unit.outcome is Outcome.REDIRECTED and unit.successor is not None
        said = []
        if self.on_the_way:
            said.append(
                f"{self.on_the_way} delivery(ies) on the way: re-routed to {unit.successor}"
                if going
                else f"{self.on_the_way} delivery(ies) on the way: end with a 02 to the sender "
                f"({unit.reason})"
            )
        if self.ended:
            said.append(
                f"{self.ended} ended delivery(ies): "
                + (f"go to {unit.successor} if replayed" if going else "refused if replayed")
            )
        if self.unfetched:
            said.append(
                f"{self.unfetched} unfetched inbox item(s): handed over to {unit.successor} after "
                "the grace period unless fetched first"
                if going
                else f"{self.unfetched} unfetched inbox item(s): stay in {unit.code}'s inbox"
            )
        if self.fetched:
            said.append(
                f"{self.fetched} item(s) fetched by {unit.code}'s system and not acknowledged: "
                "stay with it (only what nobody fetched is handed over)"
            )
        if self.clients:
            said.append(
                f"client(s) {', '.join(self.clients)} keep {unit.code} and gain nothing on "
                f"{unit.successor or 'a successor'} unless an operator changes their codes"
            )
        if self.certificates:
            said.append(
                f"{len(self.certificates)} certificate(s) stop signing for {unit.code} once the "
                "signing grace has passed (SIGNER_CODE_CLOSED)"
            )
        return said

    def as_json(self) -> dict[str, Any]:
        return {
            **self.unit.as_json(), "deliveries_on_the_way": self.on_the_way,
            "deliveries_ended": self.ended, "inbox_unfetched": self.unfetched,
            "inbox_fetched_unacknowledged": self.fetched,
            "clients": list(self.clients), "certificates": list(self.certificates),
            "what_happens": self.what_happens(),
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Preview:
    impact: Impact
    codes: tuple[CodeImpact, ...]

    def totals(self) -> dict[str, int]:
        outcomes = Counter(c.unit.outcome.value for c in self.codes)
        return {
            "codes_ceasing": len(self.codes),
            "redirected": outcomes[Outcome.REDIRECTED.value],
            "ambiguous": outcomes[Outcome.AMBIGUOUS.value],
            "closed": outcomes[Outcome.CLOSED.value],
            "deliveries_rerouted": sum(
                c.on_the_way for c in self.codes if c.unit.outcome is Outcome.REDIRECTED
            ),
            "deliveries_refused": sum(
                c.on_the_way for c in self.codes if c.unit.outcome is not Outcome.REDIRECTED
            ),
            "deliveries_ended": sum(c.ended for c in self.codes),
            "inbox_unfetched": sum(c.unfetched for c in self.codes),
            "inbox_fetched_unacknowledged": sum(c.fetched for c in self.codes),
            "clients": len({client for c in self.codes for client in c.clients}),
            "certificates": sum(len(c.certificates) for c in self.codes),
        }

    def as_json(self) -> dict[str, Any]:
        found = self.impact
        return {
            "version": found.version,
            "effective": found.effective.isoformat(),
            "reason": found.reason,
            "totals": self.totals(),
            "other_changes": found.other_changes,
            "codes": [c.as_json() for c in self.codes],
        }


async def preview(
    registry: RegistryService,
    sessions: async_sessionmaker[AsyncSession],
    change_set: ChangeSet,
) -> Preview:
    """What `change_set` would do, on the registry as this node holds it now; `RegistryError`
    when it does not fit (as applying it would say)."""
    await registry.refresh()
    found = impact(registry.registry, change_set)
    codes = [unit.code for unit in found.ceasing]
    async with sessions() as session:
        phases = await TrackingStore().phases_by_recipient(session, codes)
        unfetched = await Inbox().unfetched_by_recipient(session, codes)
        clients = await credentials.bound_to(session, codes)
        wanted = set(codes)
        trusted = [e for e in await TrustRepository().listing(session) if e.code in wanted]
    serials: dict[str, list[str]] = {}
    for entry in trusted:
        if entry.revocation is None:
            serials.setdefault(entry.code, []).append(entry.facts.serial)
    impacts = []
    for unit in found.ceasing:
        counts = phases.get(unit.code, Counter())
        code_impact = CodeImpact(
            unit=unit,
            on_the_way=sum(counts[p] for p in ON_THE_WAY),
            ended=sum(counts[p] for p in ENDED),
            unfetched=unfetched.get(unit.code, 0),
            clients=tuple(clients.get(unit.code, ())),
            certificates=tuple(serials.get(unit.code, ())),
            fetched=counts[Phase.FETCHED],
        )
        impacts.append(code_impact)
    return Preview(found, tuple(impacts))
