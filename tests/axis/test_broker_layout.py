"""The local cluster's layout: ports, directories and broker configuration for 1 and 3 nodes."""

from __future__ import annotations

from pathlib import Path

import pytest

from axis.broker.layout import ClusterLayout


def _props(text: str) -> dict[str, str]:
    return dict(
        line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#")
    )


def test_single_node_is_a_combined_kraft_broker_and_controller() -> None:
    layout = ClusterLayout(root=Path("/d"), host="127.0.0.1", port=9092, node_count=1)
    (node,) = layout.nodes
    props = _props(layout.server_properties(node))
    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:9093"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093"
    assert props["log.dirs"] == "/d/node-1/data"
    assert props["transaction.state.log.replication.factor"] == "1"
    assert props["min.insync.replicas"] == "1"
    assert layout.bootstrap == "127.0.0.1:9092"


def test_three_nodes_get_distinct_ports_dirs_and_replication_three_min_isr_two() -> None:
    layout = ClusterLayout(root=Path("/d"), host="127.0.0.1", port=19092, node_count=3)
    ports = [(n.port, n.controller_port) for n in layout.nodes]
    assert ports == [(19092, 19093), (19094, 19095), (19096, 19097)]
    assert len({n.directory for n in layout.nodes}) == 3
    props = _props(layout.server_properties(layout.nodes[2]))
    assert props["node.id"] == "3"
    assert props["controller.quorum.voters"] == (
        "1@127.0.0.1:19093,2@127.0.0.1:19095,3@127.0.0.1:19097"
    )
    assert props["default.replication.factor"] == "3"
    assert props["min.insync.replicas"] == "2"
    assert props["offsets.topic.replication.factor"] == "3"
    assert layout.bootstrap == "127.0.0.1:19092,127.0.0.1:19094,127.0.0.1:19096"


def test_a_layout_that_does_not_fit_the_port_range_is_refused() -> None:
    with pytest.raises(ValueError, match="no room"):
        ClusterLayout(root=Path("/d"), host="127.0.0.1", port=65534, node_count=3)
    with pytest.raises(ValueError, match="at least one node"):
        ClusterLayout(root=Path("/d"), host="127.0.0.1", port=9092, node_count=0)
