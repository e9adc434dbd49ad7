"""What the HTTP layer reaches the node through: one object on `app.state`.

The node and its services are assembled by `axis.node.assembly.open_node`; what is built here
belongs to the HTTP faces alone: the metrics scraper, the count of failed authentications, and
the directory answers cached per registry version.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from axis.http.directory import Directory
from axis.http.throttle import AuthThrottle
from axis.metrics import Scraper
from axis.node.assembly import Node, Services
from axis.settings import Settings


@dataclass(slots=True)
class AppContext:
    node: Node
    scraper: Scraper = field(init=False)
    throttle: AuthThrottle = field(init=False)
    """Failed authentications of every face, counted in this process."""
    directory: Directory = field(init=False)
    """The registry's answers, built once per registry version (`axis.http.directory`)."""

    def __post_init__(self) -> None:
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

    @property
    def services(self) -> Services:
        return self.node.services


def app_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.axis
    return context
