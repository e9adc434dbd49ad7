"""A certificate authorized for a code stops signing for it when the registry closes the code
(`routing.acceptance.closed_signer`), after the signing grace; unsigned packets, notices and
codes the registry does not know are not concerned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from envelopes.model import Packet
from envelopes.parsing import parse_packet
from orgcodes.resolver import Resolver
from routing.acceptance import Accepting, Admitted, Known, Waiting, closed_signer, decide
from routing.outcomes import Route, RouteOutcome, SubmissionRefused
from routing.registry_routes import RegistryRoutes
from routing.signature_policy import Signature
from tests.orgcodes.test_registry import (
    DISTRICT,
    LONG_AN,
    TAY_NINH,
    baseline,
    rearrangement,
)
from tests.support.packets import document

CLOSED_AT = datetime(2025, 6, 30, 17, 0, tzinfo=UTC)  # 2025-07-01 00:00 in Vietnam
GRACE = timedelta(hours=24)
SECOND = timedelta(seconds=1)
ROUTES = RegistryRoutes(Resolver(baseline().apply(rearrangement()).registry))


def admitted(sender: str, *, signed_for: str | None, signature: Signature) -> Admitted:
    data = document(sender, [TAY_NINH], 1)
    packet: Packet = parse_packet(data)
    return Admitted(packet, data, "content", signature, signed_for=signed_for)


def signed(code: str) -> Admitted:
    return admitted(code, signed_for=code, signature=Signature.VERIFIED)


def test_the_merge_takes_effect_at_the_time_this_test_assumes() -> None:
    before = CLOSED_AT - timedelta(seconds=1)
    assert ROUTES.route(LONG_AN, at=before).outcome is RouteOutcome.ROUTED
    assert ROUTES.route(LONG_AN, at=CLOSED_AT).outcome is RouteOutcome.REDIRECTED


@pytest.mark.parametrize(
    "at",
    [CLOSED_AT - timedelta(days=30), CLOSED_AT + timedelta(hours=1), CLOSED_AT + GRACE - SECOND],
    ids=["before-the-change", "within-the-grace", "the-last-second-of-the-grace"],
)
def test_a_certificate_signs_for_its_code_until_the_grace_after_the_closure(at: datetime) -> None:
    closed_signer(signed(LONG_AN), at, ROUTES, GRACE)  # no refusal


def test_past_the_grace_a_merged_codes_certificate_is_refused_naming_the_successor() -> None:
    with pytest.raises(SubmissionRefused) as refused:
        closed_signer(signed(LONG_AN), CLOSED_AT + GRACE, ROUTES, GRACE)
    assert refused.value.code == "SIGNER_CODE_CLOSED"
    assert f"{LONG_AN} -> {TAY_NINH}" in refused.value.message
    assert "24 h" in refused.value.message and "registry version" in refused.value.message


def test_a_code_closed_without_successor_is_refused_with_the_registrys_reason() -> None:
    with pytest.raises(SubmissionRefused) as refused:
        closed_signer(signed(DISTRICT), CLOSED_AT + 2 * GRACE, ROUTES, GRACE)
    assert refused.value.code == "SIGNER_CODE_CLOSED"
    assert "closed" in refused.value.message


@pytest.mark.parametrize(
    "subject",
    [
        admitted(LONG_AN, signed_for=None, signature=Signature.CLIENT_AUTHENTICATED),
        admitted(LONG_AN, signed_for=None, signature=Signature.VERIFIED),  # a node's notice
        signed("000.00.00.H99"),  # a code the registry does not know: real traffic has them
        signed(TAY_NINH),  # active
    ],
    ids=["unsigned", "notice-certificate", "unknown-code", "active-code"],
)
def test_what_the_rule_does_not_concern(subject: Admitted) -> None:
    closed_signer(subject, CLOSED_AT + 10 * GRACE, ROUTES, GRACE)


class _Stale:
    """A stale registry: a closed code's "no" is not final."""

    def route(self, code: str, *, at: datetime) -> Route:
        return Route(code, RouteOutcome.REJECTED, reason_code="REGISTRY_STALE", reason="stale")


def test_a_stale_registry_refuses_no_signer() -> None:
    closed_signer(signed(DISTRICT), CLOSED_AT + 10 * GRACE, _Stale(), GRACE)


def test_decide_refuses_that_packet_alone_and_accepts_the_rest_of_the_batch() -> None:
    late = CLOSED_AT + 2 * GRACE
    batch = [Waiting(signed(LONG_AN), "client", late), Waiting(signed(TAY_NINH), "client", late)]
    refused, taken = decide(
        batch, [Known(), Known()], ROUTES, sha=lambda d: "sha", signing_grace=GRACE
    )
    assert isinstance(refused, SubmissionRefused) and refused.code == "SIGNER_CODE_CLOSED"
    assert isinstance(taken, Accepting)
    # A longer grace (a setting) lets the same packet through.
    [later] = decide(batch[:1], [Known()], ROUTES, sha=lambda d: "sha", signing_grace=3 * GRACE)
    assert isinstance(later, Accepting)
