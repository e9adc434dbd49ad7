"""Fuzzing `POST /v1/packets` on a running node (real Kafka and PostgreSQL): mutants of signed
packets, and mutants signed afterwards that pass the signature and reach routing, are answered
202 or 4xx with the JSON error body; never a 500, and the node keeps answering."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envelopes.codes import StatusCode
from envelopes.errors import PacketRefusal
from tests.axis.http.conftest import HttpNode
from tests.fuzz.mutations import EXAMPLES, flipped, reencoded, restructured
from tests.fuzz.test_parsing_fuzz import CRASHED_BEFORE
from tests.support.packets import document, status
from tests.support.running_node import G22, H41, H53, signed

pytestmark = pytest.mark.integration


async def test_mutated_packets_never_get_a_500(served: HttpNode) -> None:
    pki = served.running.pki
    unsigned = [
        document(G22, [H41, H53], 900),
        document(G22, [H41], 901, subject='Thông báo <khẩn> & "gấp"'),
        status(G22, H41, 902, StatusCode("03"), "đã nhận"),
    ]
    seeds = [signed(data, pki, G22) for data in unsigned]
    answers: dict[int, int] = {}

    def resign(data: bytes) -> bytes | None:
        try:
            return signed(data, pki, G22)
        except PacketRefusal:
            return None

    strategy = st.one_of(
        st.sampled_from(seeds).flatmap(flipped),
        st.sampled_from(seeds).flatmap(restructured),
        st.sampled_from(seeds).flatmap(reencoded),
        st.sampled_from(unsigned).flatmap(restructured).map(resign),
        st.sampled_from(CRASHED_BEFORE[:3]),
    )

    with httpx.Client(
        base_url=served.base_url,
        headers={"Authorization": f"Bearer {served.secrets['g22']}"},
        timeout=30,
    ) as client:

        @settings(
            max_examples=EXAMPLES or 40, deadline=None, derandomize=not EXAMPLES,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )  # fmt: skip
        @given(data=strategy)
        def never_a_500(data: bytes | None) -> None:
            if data is None:
                return
            reply = client.post("/v1/packets", content=data)
            answers[reply.status_code] = answers.get(reply.status_code, 0) + 1
            assert reply.status_code in (202, 400, 403, 413, 422), reply.text
            if reply.status_code != 202:
                error: dict[str, Any] = reply.json()["error"]
                assert error["code"] and error["message"]

        await asyncio.to_thread(never_a_500)
        health = await asyncio.to_thread(client.get, "/healthz")
        assert health.status_code == 200
    assert answers.get(202), f"no mutant reached routing: {answers}"
