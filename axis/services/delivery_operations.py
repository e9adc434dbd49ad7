"""Operator actions, audited: dead letters (list, inspect, replay), destinations (pause, resume),
and reading the audit log.

The CLI and the HTTP API both call these; each action and its audit entry commit in one
database transaction, so there is no action without its record (who, when, what).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from axis.store import audit
from envelopes.records import DeliveryRecord, RecordCodec
from routing.clock import Clock, utc_now
from routing.dead_letters import DeadLetter, DeadLetterQuery, DeadLetters
from routing.destinations import Pause, Pauses
from routing.operations import Replayed, Replayer
from routing.topics import TopicLayout


def dead_letter_json(letter: DeadLetter, *, codec: RecordCodec | None = None) -> dict[str, object]:
    """A dead letter as operators read it; with `codec`, also its delivery record."""
    shown: dict[str, object] = {
        "id": letter.id, "message_id": letter.message_id, "kind": letter.kind,
        "sender": letter.sender_code, "recipient": letter.recipient_code,
        "document_id": letter.document_id, "origin": letter.origin, "failures": letter.failures,
        "first_failed_at": letter.first_failed_at.isoformat() if letter.first_failed_at else None,
        "first_error": letter.first_error, "last_error": letter.last_error,
        "error_class": letter.error_class, "reason": letter.reason,
        "dead_at": letter.dead_at.isoformat(),
        "replayed_at": letter.replayed_at.isoformat() if letter.replayed_at else None,
        "replayed_by": letter.replayed_by,
    }  # fmt: skip
    if codec is not None:
        record = codec.decode(letter.record, DeliveryRecord)
        shown["record"] = {
            "attempt": record.attempt, "submitted_at": record.submitted_at.isoformat(),
            "packet_sha256": record.packet_sha256.hex(), "redirected_from": record.redirected_from,
            "hops": [{"organ_id": h.organ_id, "at": h.at.isoformat(), "node_id": h.node_id}
                     for h in record.hops],
        }  # fmt: skip
    return shown


@dataclass(slots=True)
class Operator:
    sessions: async_sessionmaker[AsyncSession]
    layout: TopicLayout
    node_id: str
    codec: RecordCodec
    clock: Clock = utc_now

    async def audit_log(self, *, limit: int, actor: str | None = None) -> list[audit.AuditEntry]:
        """The newest entries of the audit log first (of `actor` only, if given)."""
        async with self.sessions() as session:
            return await audit.recent(session, limit=limit, actor=actor)

    async def dead_letters(self, query: DeadLetterQuery) -> list[DeadLetter]:
        async with self.sessions() as session:
            return await DeadLetters().find(session, query)

    async def dead_letter(self, dead_letter_id: int) -> DeadLetter | None:
        async with self.sessions() as session:
            return await DeadLetters().get(session, dead_letter_id)

    async def replay(
        self,
        producer: AIOKafkaProducer,
        *,
        actor: str,
        ids: list[int] | None = None,
        query: DeadLetterQuery | None = None,
        request_id: str | None = None,
    ) -> list[Replayed]:
        """Replay the dead letters `ids`, or every one `query` finds; audited as one action."""
        replayer = Replayer(self.layout, producer, self.node_id, self.codec, DeadLetters())
        now = self.clock()
        async with self.sessions.begin() as session:
            if ids is not None:
                done = [await replayer.replay_one(session, i, by=actor, at=now) for i in ids]
            else:
                done = await replayer.replay_many(
                    session, query or DeadLetterQuery(), by=actor, at=now
                )
            await audit.append(
                session,
                audit.AuditEntry(
                    actor=actor,
                    action="dead_letters.replay",
                    target=_ids(done),
                    detail={
                        "replayed": [
                            {"id": r.dead_letter_id, "message_id": r.message_id,
                             "recipient": r.recipient_code}
                            for r in done
                        ],
                        "query": _query_detail(query) if ids is None else None,
                    },
                    request_id=request_id,
                    at=now,
                ),
            )  # fmt: skip
        return done

    async def pause(
        self, code: str, *, actor: str, reason: str, request_id: str | None = None
    ) -> bool:
        now = self.clock()
        async with self.sessions.begin() as session:
            changed = await Pauses().pause(session, code, by=actor, at=now, reason=reason)
            await self._audit(session, actor, "destinations.pause", code, changed, reason, now,
                              request_id)  # fmt: skip
        return changed

    async def resume(self, code: str, *, actor: str, request_id: str | None = None) -> bool:
        now = self.clock()
        async with self.sessions.begin() as session:
            changed = await Pauses().resume(session, code)
            await self._audit(session, actor, "destinations.resume", code, changed, "", now,
                              request_id)  # fmt: skip
        return changed

    async def paused(self) -> list[Pause]:
        async with self.sessions() as session:
            return await Pauses().all(session)

    @staticmethod
    async def _audit(
        session: AsyncSession,
        actor: str,
        action: str,
        code: str,
        changed: bool,
        reason: str,
        at: datetime,
        request_id: str | None,
    ) -> None:
        await audit.append(
            session,
            audit.AuditEntry(
                actor=actor, action=action, target=code,
                detail={"changed": changed, "reason": reason}, request_id=request_id, at=at,
            ),
        )  # fmt: skip


def _query_detail(query: DeadLetterQuery | None) -> dict[str, object]:
    if query is None:
        return {}
    return {
        "recipient": query.recipient_code,
        "since": query.since.isoformat() if query.since else None,
        "until": query.until.isoformat() if query.until else None,
        "limit": query.limit,
    }


def _ids(done: list[Replayed]) -> str:
    """The replayed ids as an audit target (the column holds 500 characters; all of them are
    in the entry's detail)."""
    text = ",".join(str(r.dead_letter_id) for r in done) or "(none)"
    return text if len(text) <= 500 else text[:480] + f",... ({len(done)} in all)"
