"""The shape of a local KRaft cluster: nodes, ports, directories and their `server.properties`.

Pure: planning a cluster touches no file and no network, so the layout is unit-tested alone.
Node *i* (1-based) listens for clients on `port + 2(i-1)` and for the controller quorum on the
port after it, so one node on 9092 uses 9092/9093 and three use 9092..9097.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class NodeLayout:
    node_id: int
    host: str
    port: int
    controller_port: int
    directory: Path

    @property
    def data_dir(self) -> Path:
        return self.directory / "data"

    @property
    def logs_dir(self) -> Path:
        return self.directory / "logs"

    @property
    def config_file(self) -> Path:
        return self.directory / "server.properties"

    @property
    def pid_file(self) -> Path:
        return self.directory / "broker.pid"

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class ClusterLayout:
    """A cluster of `len(nodes)` combined broker+controller nodes under one directory."""

    root: Path
    host: str
    port: int
    node_count: int

    def __post_init__(self) -> None:
        if self.node_count < 1:
            raise ValueError("a cluster has at least one node")
        if not self.port > 0 or self.port + 2 * self.node_count > 65535:
            raise ValueError(f"port {self.port} leaves no room for {self.node_count} node(s)")

    @property
    def nodes(self) -> tuple[NodeLayout, ...]:
        return tuple(
            NodeLayout(
                node_id=i,
                host=self.host,
                port=self.port + 2 * (i - 1),
                controller_port=self.port + 2 * (i - 1) + 1,
                directory=self.root / f"node-{i}",
            )
            for i in range(1, self.node_count + 1)
        )

    @property
    def bootstrap(self) -> str:
        return ",".join(node.bootstrap for node in self.nodes)

    @property
    def replication_factor(self) -> int:
        return min(3, self.node_count)

    @property
    def min_insync_replicas(self) -> int:
        # Replication factor 3 with min.insync.replicas 2 survives one broker down with acks=all.
        return 2 if self.replication_factor >= 3 else 1

    @property
    def description_file(self) -> Path:
        return self.root / "cluster.json"

    def server_properties(self, node: NodeLayout) -> str:
        """The broker configuration of one node."""
        voters = ",".join(f"{n.node_id}@{n.host}:{n.controller_port}" for n in self.nodes)
        settings = {
            "process.roles": "broker,controller",
            "node.id": str(node.node_id),
            "controller.quorum.voters": voters,
            "listeners": (
                f"PLAINTEXT://{node.host}:{node.port},CONTROLLER://{node.host}:{node.controller_port}"
            ),
            "advertised.listeners": f"PLAINTEXT://{node.host}:{node.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(node.data_dir),
            "num.partitions": "1",
            "default.replication.factor": str(self.replication_factor),
            "min.insync.replicas": str(self.min_insync_replicas),
            "offsets.topic.replication.factor": str(self.replication_factor),
            "transaction.state.log.replication.factor": str(self.replication_factor),
            "transaction.state.log.min.isr": str(self.min_insync_replicas),
            "share.coordinator.state.topic.replication.factor": str(self.replication_factor),
            "share.coordinator.state.topic.min.isr": str(self.min_insync_replicas),
            # A development broker: join a consumer group at once instead of after 3 s.
            "group.initial.rebalance.delay.ms": "0",
            # Packets of tens of MB travel by reference; records stay well under this.
            "message.max.bytes": str(8 * 1024 * 1024),
            "auto.create.topics.enable": "false",
        }
        lines = ["# Written by `axis broker start`; regenerated at every start."]
        lines += [f"{key}={value}" for key, value in settings.items()]
        return "\n".join(lines) + "\n"

    def describe(self, *, cluster_id: str, kafka_version: str) -> str:
        return json.dumps(
            {
                "cluster_id": cluster_id,
                "kafka_version": kafka_version,
                "host": self.host,
                "port": self.port,
                "node_count": self.node_count,
                "nodes": [
                    {k: str(v) if isinstance(v, Path) else v for k, v in asdict(n).items()}
                    for n in self.nodes
                ],
            },
            indent=2,
        )
