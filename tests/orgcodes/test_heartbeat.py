"""The registry authority's heartbeat: signed, checked against the authority's certificate, and
judged by its age (`orgcodes.heartbeat`)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from axis.devtools.dev_pki import KeyType, issue, new_authority
from envelopes.records import RecordCodec, RegistryHeartbeat
from orgcodes.heartbeat import Limits, Liveness, check_heartbeat, make_heartbeat
from signing.errors import SignatureCode, SignatureError

NOW = datetime(2026, 12, 5, 9, 0, 0, 123456, tzinfo=UTC)
START = NOW - timedelta(days=30)
CA = new_authority("Registry test CA", key_type=KeyType.EC, not_before=START)
AUTHORITY = issue(CA, "000.00.00.G22", key_type=KeyType.EC, not_before=START)
OTHER = issue(CA, "000.00.00.H41", key_type=KeyType.EC, not_before=START)


def signed(version: int = 7) -> RegistryHeartbeat:
    made = make_heartbeat(version, NOW, "gov-node", (AUTHORITY.key, AUTHORITY.certificate))
    codec = RecordCodec()
    return codec.decode(codec.encode(made), RegistryHeartbeat)  # as a follower reads it


def test_a_signed_heartbeat_holds_after_a_trip_through_the_topic() -> None:
    heartbeat = signed()
    assert (heartbeat.version, heartbeat.publisher) == (7, "gov-node")
    check_heartbeat(heartbeat, [AUTHORITY.certificate], at=NOW)


@pytest.mark.parametrize(
    ("heartbeat", "code"),
    [
        (dataclasses.replace(signed(), version=8), SignatureCode.VALUE_MISMATCH),
        (dataclasses.replace(signed(), at=NOW + timedelta(hours=1)), SignatureCode.VALUE_MISMATCH),
        (
            make_heartbeat(7, NOW, "gov-node", (OTHER.key, OTHER.certificate)),
            SignatureCode.CERT_UNKNOWN,
        ),
        (make_heartbeat(7, NOW, "gov-node", None), SignatureCode.MALFORMED),
        (dataclasses.replace(signed(), signature_json="{not json"), SignatureCode.MALFORMED),
    ],
    ids=["changed-version", "replayed-later", "another-key", "unsigned", "garbled"],
)
def test_a_heartbeat_not_signed_by_the_authority_is_refused(
    heartbeat: RegistryHeartbeat, code: SignatureCode
) -> None:
    with pytest.raises(SignatureError) as refused:
        check_heartbeat(heartbeat, [AUTHORITY.certificate], at=NOW)
    assert refused.value.code is code


def test_without_an_authority_certificate_heartbeats_are_taken_as_sent() -> None:
    check_heartbeat(make_heartbeat(7, NOW, "gov-node", None), [], at=NOW)


def test_the_age_of_the_last_heartbeat_says_current_degraded_then_stale() -> None:
    limits = Limits(degraded=timedelta(seconds=30), stale=timedelta(minutes=15))
    assert limits.judge(NOW, NOW + timedelta(seconds=29)) is Liveness.CURRENT
    assert limits.judge(NOW, NOW + timedelta(seconds=31)) is Liveness.DEGRADED
    assert limits.judge(NOW, NOW + timedelta(minutes=16)) is Liveness.STALE
    assert limits.judge(None, NOW) is Liveness.STALE
    assert limits.stale_reason(NOW, NOW + timedelta(minutes=1)) is None
    reason = limits.stale_reason(NOW, NOW + timedelta(minutes=16))
    assert reason is not None and "last heard of at 2026-12-05 09:00:00 UTC" in reason
