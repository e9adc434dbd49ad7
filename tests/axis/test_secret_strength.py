"""The strength rule for chosen secrets: what people choose is refused, random tokens pass."""

from __future__ import annotations

import secrets
import uuid

import pytest

from axis.store.secret_strength import MIN_BITS, estimated_bits, strength


@pytest.mark.parametrize(
    "secret",
    [
        "internationalization",  # a dictionary word of 20 letters (found in 0.6 s in the audit)
        "INTERNATIONALIZATION",
        "Internationalization2024!",
        "passwordpassword",  # a word repeated
        "Pa55w0rd!Pa55w0rd!",
        "1234567890123456",  # a sequence
        "aaaaaaaaaaaaaaaaaaaaaaaa",
        "Qwertyuiop123456!",  # a keyboard row, a sequence
        "thisisaverylongpassword",
        "short-Secret-1",  # too short
        " leading-space-K7p#Qz2m!Xw9vB4r",
    ],
)
def test_weak_secrets_are_refused_with_a_reason(secret: str) -> None:
    judged = strength(secret)
    assert not judged.ok
    assert judged.problem


@pytest.mark.parametrize(
    "secret",
    [
        secrets.token_urlsafe(24),
        secrets.token_hex(16),
        str(uuid.uuid4()),
        "K7p#Qz2m!Xw9vB4r",
        "B-secret/used+as+raw+UTF8+bytes==",
    ],
)
def test_random_secrets_of_the_usual_forms_pass(secret: str) -> None:
    assert strength(secret).ok, (secret, estimated_bits(secret))


def test_a_repeated_block_costs_its_block_and_a_little() -> None:
    block = "K7p#Qz2m!Xw9vB4r"
    assert estimated_bits(block * 4) == pytest.approx(estimated_bits(block) + 2)
    assert estimated_bits("internationalization") < MIN_BITS / 3
