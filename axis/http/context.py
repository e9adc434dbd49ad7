"""What the HTTP layer reaches the node through: one object on `app.state`."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from axis.http.directory import Directory
from axis.http.throttle import AuthThrottle
from axis.metrics import Scraper
from axis.node.assembly import Node
from axis.services.client_admin import ClientAdmin
from axis.services.delivery_operations import Operator
from axis.settings import Settings
from axis.store.credentials import ClientStore
from envelopes.records import RecordCodec


@dataclass(slots=True)
class AppContext:
    node: Node
    node_key: bytes
    """The node's secret key (`axis.keys.node_secret`)."""
    clients: ClientStore = field(init=False)
    operator: Operator = field(init=False)
    client_admin: ClientAdmin = field(init=False)
    """The audited changes of API clients (`axis.services.client_admin`)."""
    scraper: Scraper = field(init=False)
    throttle: AuthThrottle = field(init=False)
    """Failed authentications of every face, counted in this process."""
    directory: Directory = field(init=False)
    """The registry's answers, built once per registry version (`axis.http.directory`)."""

    def __post_init__(self) -> None:
        self.clients = ClientStore(self.node_key)
        self.operator = Operator(
            self.node.sessions, self.node.layout, self.node.settings.node_id, RecordCodec()
        )
        self.client_admin = ClientAdmin(self.node.sessions, self.clients)
        self.scraper = Scraper(self.node)
        self.directory = Directory()
        settings = self.node.settings
        self.throttle = AuthThrottle(
            per_address=settings.auth_failures_per_address,
            per_client=settings.auth_failures_per_client,
            window=settings.auth_failure_window_value.total_seconds(),
        )

    @property
    def settings(self) -> Settings:
        return self.node.settings


def app_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.axis
    return context
