"""The ApiVersions v3 probe, read against a response captured from a real Kafka 4.1.1 broker."""

from __future__ import annotations

from pathlib import Path

import pytest

from axis.broker.probe import ProbeError, parse_response

CAPTURED = Path(__file__).parent.parent / "fixtures" / "kafka" / "apiversions-v3-kafka-4.1.1.bin"


def test_a_real_response_names_the_release_line_and_the_apis() -> None:
    version = parse_response(CAPTURED.read_bytes(), correlation_id=1)
    assert version.metadata_version_level == 27
    assert version.release_line == "4.1"
    assert version.release == "4.1 (metadata.version 4.1-IV1)"
    assert version.api_versions[18][1] >= 3  # ApiVersions itself
    assert version.api_versions[1][0] >= 4  # Kafka 4 dropped Fetch v0-v3 (KIP-896)


def test_a_truncated_response_is_an_error_not_a_crash() -> None:
    data = CAPTURED.read_bytes()
    with pytest.raises(ProbeError, match="truncated"):
        parse_response(data[: len(data) // 2], correlation_id=1)


def test_a_foreign_correlation_id_means_not_our_answer() -> None:
    with pytest.raises(ProbeError, match="correlation id"):
        parse_response(CAPTURED.read_bytes(), correlation_id=2)
