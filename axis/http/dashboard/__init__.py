"""The clerks' dashboard: server-rendered pages at `/dashboard` (search, a document's
timelines per recipient, stuck and failed deliveries, per-agency figures), in Vietnamese by
default and in English, behind a sign-in for clients with the clerk or operator role."""

from axis.http.dashboard.routes import router

__all__ = ["router"]
