"""The Prometheus text a node renders from its figures (no I/O)."""

from __future__ import annotations

from axis.metrics import Figures, render


def test_registry_propagation_is_a_histogram_and_the_heartbeat_age_a_gauge() -> None:
    text = render(Figures(propagation_seconds=[0.3, 2.5, 40.0], heartbeat_age_seconds=3.0)).decode()
    lines = set(text.splitlines())
    assert 'axis_registry_propagation_seconds_bucket{le="0.5"} 1.0' in lines
    assert 'axis_registry_propagation_seconds_bucket{le="5.0"} 2.0' in lines
    assert 'axis_registry_propagation_seconds_bucket{le="+Inf"} 3.0' in lines
    assert "axis_registry_propagation_seconds_count 3.0" in lines
    assert "axis_registry_propagation_seconds_sum 42.8" in lines
    assert "axis_registry_heartbeat_age_seconds 3.0" in lines
    assert "axis_registry_heartbeat_age_seconds -1.0" in render(Figures()).decode().splitlines()
