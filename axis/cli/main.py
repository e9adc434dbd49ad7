"""Entry point of the `axis` command: registers every command group."""

from __future__ import annotations

import typer

from axis.cli import (
    broker,
    bus,
    db,
    demo,
    doctor,
    envelope,
    operators,
    profiles,
    registry,
    remote,
    remote_clients,
    remote_registry,  # noqa: F401 (adds the HTTP commands to `registry`)
    serve,
    signing,
    tracking,
    trust,
)

app = typer.Typer(
    name="axis",
    help="Axis node: routes signed edXML packets between agencies over Kafka.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(broker.app, name="broker")
app.add_typer(envelope.app, name="envelope")
app.add_typer(db.app, name="db")
app.add_typer(bus.bus_app, name="bus")
app.add_typer(signing.keys_app, name="keys")
app.add_typer(trust.trust_app, name="trust")
app.add_typer(registry.registry_app, name="registry")
app.add_typer(operators.dlq_app, name="dlq")
app.add_typer(operators.destinations_app, name="destinations")
app.add_typer(remote_clients.clients_app, name="clients")
app.add_typer(profiles.profile_app, name="profile")
app.add_typer(tracking.evidence_app, name="evidence")
app.add_typer(serve.worker_app, name="worker")
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
app.command("sign")(signing.sign)
app.command("verify")(signing.verify)
app.command("send")(remote.send)
app.command("inbox")(remote.inbox)
app.command("fetch")(remote.fetch)
app.command("ack")(remote.ack)
app.command("track")(remote.track)
app.command("stuck")(tracking.stuck)
app.command("doctor")(doctor.doctor)


if __name__ == "__main__":  # pragma: no cover
    app()
