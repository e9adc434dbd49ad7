"""A running node: its parts built from the settings in one place, and the tasks it runs.

`open_node` is the one place the node is put together: `axis serve`, `axis worker`, the HTTP
app (which reaches everything through the `Node`), the demo and the tests all open it. It
checks the database is migrated, creates the topics that are missing, checks that the bus
belongs to this database (`axis.node.bus_binding`: a node on another database refuses to start,
`BUS_BOUND_TO_OTHER_DATABASE`), loads the registry and the trust store, starts the
transactional sender that submissions and inbox acknowledgements produce through, and builds
the services every entry point calls (`Services`, from `axis.services`). `Node.run` runs the
routing workers of the roles asked (`axis serve`: all of them; `axis worker ROLE`:
one), keeps the registry and the trust store in step with the database (another process may
apply a change set or revoke a certificate), and, for `axis serve`, the registry's sync: an
authority publishes what is queued, a follower follows the registry topic.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from axis.keys.agency_keys import AgencyKeyStore, NodeAgencySigner, notice_signer, token
from axis.keys.node_secret import load_or_create
from axis.migrations.runner import require_current
from axis.node.bus_binding import ensure_bound
from axis.node.parts import (
    algorithm_policy,
    database,
    heartbeat_follower,
    heartbeat_publisher,
    registry_follower,
    registry_publisher,
    retry_policy,
    topic_layout,
)
from axis.node.verifier import NodeVerifier
from axis.services.access import Callers, SignIns
from axis.services.client_admin import ClientAdmin
from axis.services.delivery_operations import Operator
from axis.services.delivery_reports import DeliveryReports
from axis.settings import Settings
from axis.store.credentials import ClientStore
from axis.store.db import database_unavailable, read_sessions, session_factory, unavailable_reason
from envelopes.records import RecordCodec
from orgcodes.service import RegistryService
from routing.backlog import DeliveryBacklog
from routing.bus import make_producer, transactional_id
from routing.clock import Clock, utc_now
from routing.delivery_worker import DeliveryContext
from routing.handover import InboxHandover
from routing.payloads import PayloadStore
from routing.pull_delivery import Mailbox
from routing.push import Pusher
from routing.registry_routes import RegistryRoutes
from routing.sender import TransactionalSender
from routing.submission import SubmissionContext, SubmissionService
from routing.together import run_together
from routing.topics import TopicLayout, ensure_topics
from routing.worker_health import WorkerHealth
from routing.workers import WorkerRole, run_roles

log = structlog.get_logger(__name__)

REFRESH_SECONDS = 2.0
"""How often a running node looks for a new registry version or trust store change."""
PUBLISH_SECONDS = 10.0
"""How often an authority's node publishes registry versions still queued."""


@dataclass(frozen=True, slots=True)
class Services:
    """The use cases with more than one entry point (`/v1`, the SDK dialect, the dashboard, the
    CLI), each in one place; the entry points call them and only render what they answer."""

    clients: ClientStore
    """The API clients, their secrets sealed under the node's secret key."""
    callers: Callers
    """Who a request's credentials name (`axis.services.access`)."""
    sign_ins: SignIns
    """The dashboard's sessions."""
    client_admin: ClientAdmin
    """The audited changes of API clients."""
    operator: Operator
    """Dead letters, destinations and the audit log."""
    reports: DeliveryReports
    """The clerks' searches and figures."""


@dataclass(frozen=True, slots=True)
class Node:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    reads: async_sessionmaker[AsyncSession]
    """For single-statement reads on the hot path, without a transaction (`axis.store.db`)."""
    layout: TopicLayout
    registry: RegistryService
    verifier: NodeVerifier
    submission: SubmissionService
    mailbox: Mailbox
    delivery: DeliveryContext
    health: WorkerHealth
    """What this process's workers say of themselves (stuck or moving), for `/readyz`."""
    backlog: DeliveryBacklog
    """How far behind this process's delivery worker is; submissions are refused past
    `max_delivery_delay_seconds` (`routing.backlog`)."""
    handover: InboxHandover
    """Moves what waits unfetched for a closed code to its successor (`routing.handover`)."""
    secret_key: bytes
    """The node's secret key (`axis.keys.node_secret`): it seals client and agency secrets and
    signs the dashboard's cookies."""
    services: Services

    async def database_problem(self, timeout: float) -> str | None:
        """None when the database answers a trivial query within `timeout` seconds; else what
        went wrong (for `/readyz`)."""
        try:
            async with self.sessions() as session:
                await asyncio.wait_for(session.execute(text("SELECT 1")), timeout)
        except Exception as error:
            return f"{type(error).__name__}: {error}"
        return None

    async def refresh(self) -> None:
        """Pick up a registry version or a trust store change another process wrote."""
        if await self.registry.refresh():
            log.info("registry reloaded", version=self.registry.version)
        if await self.verifier.refresh():
            log.info("trust store reloaded")

    async def run(
        self,
        roles: Sequence[WorkerRole],
        stop: asyncio.Event,
        *,
        sync_registry: bool = False,
        also: Sequence[Coroutine[Any, Any, None]] = (),
    ) -> None:
        """Run until `stop` is set, with the tasks `also` given (the HTTP server); a task that
        fails stops the others and is raised."""
        work: dict[str, Coroutine[Any, Any, None]] = {"refresh": self._refreshing(stop)}
        work.update((f"also-{i}", task) for i, task in enumerate(also))
        if WorkerRole.DELIVER in roles:
            work["inbox-handover"] = self.handover.run(stop)
        if roles:
            work["workers"] = run_roles(
                self.settings.kafka_bootstrap, self.delivery, roles, stop, health=self.health,
                stall_seconds=self.settings.worker_stall_seconds, backlog=self.backlog,
            )  # fmt: skip
        settings = self.settings
        if sync_registry and settings.registry_mode == "authority":
            work["registry-publish"] = self._publishing(stop)
            work["registry-heartbeat"] = heartbeat_publisher(settings, self.registry).run(
                stop, settings.registry_heartbeat_seconds
            )
        elif sync_registry and settings.registry_mode == "follower":
            work["registry-follow"] = registry_follower(settings, self.registry).run(stop)
            work["registry-heartbeat"] = heartbeat_follower(settings, self.registry).run(stop)
        await run_together(work, stop)

    async def _refreshing(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), REFRESH_SECONDS)
                return
            try:
                await self.refresh()
            except Exception as error:  # the database may be away for a while: keep what is loaded
                if not database_unavailable(error):
                    log.exception("registry or trust store refresh failed; trying again")
                else:
                    reason = unavailable_reason(error)
                    log.warning("registry and trust store refresh waits for the database",
                                reason=reason)  # fmt: skip

    async def _publishing(self, stop: asyncio.Event) -> None:
        publisher = registry_publisher(self.settings, self.registry)
        while not stop.is_set():
            try:
                published = await publisher.publish_pending()
                if published:
                    log.info("registry versions published", versions=published)
            except Exception:  # the broker may be away: the versions stay queued
                log.exception("publishing registry versions failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), PUBLISH_SECONDS)


@asynccontextmanager
async def open_node(settings: Settings, *, clock: Clock = utc_now) -> AsyncIterator[Node]:
    """The node's parts, ready to submit, deliver and track; stopped on exit."""
    async with database(settings) as engine:
        await require_current(engine, "the node")
        sessions = session_factory(engine)
        reads = read_sessions(engine)
        layout = topic_layout(settings)
        for check in await ensure_topics(settings.kafka_bootstrap, layout.all()):
            if check.problem:
                log.warning("topic differs from the configuration", problem=check.problem)
        await ensure_bound(settings, engine)
        registry = RegistryService(sessions)
        await registry.load()
        if registry.version == 0:
            log.warning(
                "the registry is empty: every recipient will be rejected until one is loaded "
                "(axis registry import, axis registry apply, or a follower's sync)"
            )
        verifier = NodeVerifier(sessions, algorithm_policy(settings))
        await verifier.refresh()
        limits = settings.heartbeat_limits
        routes = RegistryRoutes(
            registry, clock=clock, in_force=registry.in_force,
            stale=lambda: None if limits is None else limits.stale_reason(
                registry.heartbeat_at, clock()
            ),
        )  # fmt: skip
        payloads = PayloadStore(sessions)
        notices = notice_signer(settings)
        sender = TransactionalSender(
            make_producer(
                settings.kafka_bootstrap,
                client_id=f"axis-{settings.node_id}-submit",
                transactional_id=transactional_id(layout.prefix, "submit", settings.node_id),
            )
        )
        pusher = Pusher(timeout=settings.push_timeout)
        backlog = DeliveryBacklog()
        secret_key = load_or_create(settings.secret_key_path)
        clients = ClientStore(secret_key)
        await sender.start()
        try:
            yield Node(
                settings=settings,
                sessions=sessions,
                reads=reads,
                layout=layout,
                registry=registry,
                verifier=verifier,
                submission=SubmissionService(
                    SubmissionContext(
                        sessions=sessions,
                        payloads=payloads,
                        verifier=verifier,
                        resolver=routes,
                        sender=sender,
                        layout=layout,
                        node_id=settings.node_id,
                        clock=clock,
                        agency_signer=NodeAgencySigner(
                            sessions, AgencyKeyStore(secret_key, token(settings))
                        ),
                        notices=notices,
                        signing_grace=settings.closed_code_signing_grace_value,
                    ),
                    backlog=backlog,
                    max_delivery_delay=settings.max_delivery_delay_seconds,
                ),
                mailbox=Mailbox(sessions, payloads, sender, layout, settings.node_id, clock=clock),
                delivery=DeliveryContext(
                    sessions=sessions,
                    payloads=payloads,
                    directory=routes,
                    layout=layout,
                    node_id=settings.node_id,
                    policy=retry_policy(settings),
                    pusher=pusher,
                    clock=clock,
                    notices=notices,
                ),
                health=WorkerHealth(clock),
                backlog=backlog,
                handover=InboxHandover(
                    sessions,
                    routes,
                    sender,
                    layout,
                    settings.node_id,
                    grace=settings.inbox_handover_grace_value,
                    clock=clock,
                ),
                secret_key=secret_key,
                services=Services(
                    clients=clients,
                    callers=Callers(sessions, reads, clients),
                    sign_ins=SignIns(sessions, idle=settings.dashboard_idle_timeout_value),
                    client_admin=ClientAdmin(sessions, clients, registry=registry),
                    operator=Operator(sessions, layout, settings.node_id, RecordCodec(), clock),
                    reports=DeliveryReports(sessions),
                ),
            )
        finally:
            await sender.stop()
            await pusher.close()  # also when no delivery worker ran (it closes it too)
