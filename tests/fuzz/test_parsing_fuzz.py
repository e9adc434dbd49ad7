"""Fuzzing the one parse path: whatever the bytes, validation, signing and verification answer
with a refusal of the one family (`PacketRefusal`: a code and a sentence), never another
exception. Bounded in the suite; `AXIS_FUZZ_EXAMPLES=N` runs N examples (README, "Fuzzing")."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings

from envelopes.errors import PacketRefusal
from envelopes.parsing import parse_packet, validate
from tests.fuzz.mutations import EXAMPLES, NOW, Seeds, make_seeds, mutants

SEEDS = make_seeds()
SIGNED = tuple(SEEDS.sign(data) for data in SEEDS.unsigned)
FUZZ = settings(
    max_examples=EXAMPLES or 150,
    deadline=None,
    derandomize=not EXAMPLES,  # the suite's run is the same every time; a long run explores
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_SEED = SIGNED[0]
_START = _SEED.index(b"<ds:X509Certificate>") + len(b"<ds:X509Certificate>") + 200
CRASHED_BEFORE = [
    # An element name with two colons (lxml's ValueError escaped the scanner).
    _SEED.replace(b"<edXML:edXMLEnvelope", b"<a:b:c/><edXML:edXMLEnvelope", 1),
    # An undeclared prefix: the scanner accepted, the tree parse raised XMLSyntaxError.
    _SEED.replace(b"<edXML:edXMLEnvelope", b"<x:y/><edXML:edXMLEnvelope", 1),
    # An invalid namespace URI, same story.
    _SEED.replace(b"<edXML:edXMLEnvelope", b"<edXML:edXMLEnvelope xmlns:q='%%%'", 1),
    # One base64 character changed in KeyInfo's certificate (a lazily read field raised later).
    _SEED[:_START] + (b"A" if _SEED[_START : _START + 1] != b"A" else b"B") + _SEED[_START + 1 :],
]


def check(seeds: Seeds, how: str, data: bytes) -> None:
    """Every step either works or refuses with the family; nothing else escapes."""
    problems = validate(data)
    assert all(problem.code.startswith("EDXML_") for problem in problems)
    if how == "resigned":
        try:
            data = seeds.sign(data)
        except (PacketRefusal, KeyError):  # KeyError: a From the PKI has no key for
            return
    try:
        verified = seeds.verifier.verify(data, at=NOW)
    except PacketRefusal as refusal:
        said = (refusal.code, refusal.message)
    else:  # what verifies is readable again from what the signature covers
        parse_packet(verified.signed_content)
        return
    assert all(said)


@pytest.mark.parametrize(
    "data", CRASHED_BEFORE[:3], ids=["two-colons", "undeclared-prefix", "invalid-namespace-uri"]
)
def test_names_no_tree_can_hold_are_refused_alike_by_validation_and_verification(
    data: bytes,
) -> None:
    assert [p.code for p in validate(data)] == ["EDXML_NAMESPACE_INVALID"]
    with pytest.raises(PacketRefusal) as refused:
        SEEDS.verifier.verify(data, at=NOW)
    assert refused.value.code == "EDXML_NAMESPACE_INVALID"


def test_a_damaged_certificate_in_key_info_is_refused_as_unreadable() -> None:
    """Every one-character change of the certificate's base64 is a coded refusal; the subject's
    changes are read when the certificate is (not later, when a sentence names it)."""
    data = SIGNED[0]
    start = data.index(b"<ds:X509Certificate>") + len(b"<ds:X509Certificate>")
    end = data.index(b"</ds:X509Certificate>", start)
    codes = set()
    for at in range(start, end):
        if data[at : at + 1] in b"\r\n":
            continue
        changed = b"A" if data[at : at + 1] != b"A" else b"B"
        with pytest.raises(PacketRefusal) as refused:
            SEEDS.verifier.verify(data[:at] + changed + data[at + 1 :], at=NOW)
        codes.add(refused.value.code)
    assert "SIGNATURE_CERT_UNREADABLE" in codes


def test_every_seed_verifies_unmutated() -> None:
    for data in SIGNED:
        SEEDS.verifier.verify(data, at=NOW)


@FUZZ
@given(mutant=mutants(SEEDS, SIGNED))
@example(mutant=("flipped", CRASHED_BEFORE[0]))
@example(mutant=("flipped", CRASHED_BEFORE[1]))
@example(mutant=("flipped", CRASHED_BEFORE[3]))
def test_mutants_are_answered_by_the_refusal_family_only(mutant: tuple[str, bytes]) -> None:
    how, data = mutant
    check(SEEDS, how, data)
