"""B2: verification of signed 10 KB packets (verifies per second, one core), next to the bare
`cryptography` verify of the same SignedInfo (the same-run baseline), and the ratio.

For RSA-2048 and ECDSA P-256 it measures, one after the other in this process:
- `node`: `PacketVerifier.verify`, everything the node does per packet (hostile-input scan,
  signature shape, signxml's digest and signature check, reading the packet from the signed
  content, the trust store's decision);
- its stages, to show where the time goes;
- `baseline`: `public_key.verify(SignatureValue, c14n(SignedInfo))` with `cryptography`.
Run: .venv/bin/python benchmarks/signature_verify.py [--seconds S]. The last line is JSON.
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from lxml import etree

from axis.devtools.dev_pki import Issued, KeyType, issue, new_authority
from envelopes.namespaces import XMLDSIG_NS
from envelopes.parsing import DEFAULT_LIMITS, read_scanned, without_signature
from envelopes.safe_parsing import build_tree, parse_tree, scan
from signing.algorithms import AlgorithmPolicy
from signing.shape import inspect
from signing.signer import sign_packet
from signing.trust import Authorization, TrustStore
from signing.verification import PacketVerifier

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
SAMPLE = FIXTURES / "edxml" / "document-new.edxml"
CODE = "000.00.12.H53"
TARGET_BYTES = 10 * 1024
DS = f"{{{XMLDSIG_NS}}}"


def packet_of_about(size: int, issued: Issued) -> bytes:
    """The sample with its Content lengthened until the signed packet is about `size` bytes."""
    base = SAMPLE.read_bytes()
    filler = "Nội dung văn bản mẫu để đo tốc độ xác thực chữ ký. "
    signed = sign_packet(base, issued.key, issued.certificate)
    text = ""
    while len(signed) < size:
        text += filler
        marker = b"</edXML:Content>"
        data = base.replace(marker, text.encode() + marker, 1)
        signed = sign_packet(data, issued.key, issued.certificate)
    return signed


def rate(action: Callable[[], object], seconds: float) -> float:
    """Calls per second of `action`, run for about `seconds` (after a short warm-up)."""
    for _ in range(20):
        action()
    count, started = 0, time.perf_counter()
    deadline = started + seconds
    while True:
        for _ in range(20):
            action()
        count += 20
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - started)


def bare_verify(data: bytes, issued: Issued) -> Callable[[], None]:
    """The baseline: verify SignatureValue over the canonical SignedInfo, nothing else."""
    root = etree.fromstring(data)
    signed_info = root.find(f".//{DS}SignedInfo")
    value = root.find(f".//{DS}SignatureValue")
    assert signed_info is not None and value is not None
    message = etree.tostring(signed_info, method="c14n", exclusive=True)
    signature = base64.b64decode(value.text or "")
    key = issued.certificate.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        rsa_key = key
        return lambda: rsa_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    assert isinstance(key, ec.EllipticCurvePublicKey)
    half = len(signature) // 2
    der = utils.encode_dss_signature(
        int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
    )
    ec_key = key
    return lambda: ec_key.verify(der, message, ec.ECDSA(hashes.SHA256()))


def measure(key_type: KeyType, seconds: float) -> dict[str, object]:
    now = datetime.now(UTC)
    authority = new_authority(not_before=now - timedelta(days=1))
    issued = issue(authority, CODE, key_type=key_type, not_before=now - timedelta(days=1))
    store = TrustStore.of(
        [authority.certificate], [Authorization.for_certificate(CODE, issued.certificate)]
    )
    verifier = PacketVerifier(store)
    data = packet_of_about(TARGET_BYTES, issued)
    verified = verifier.verify(data, at=now)  # it must verify before it is timed
    shape = inspect(parse_tree(data, DEFAULT_LIMITS), AlgorithmPolicy())
    scanned = scan(data, DEFAULT_LIMITS)
    signed = verified.signed_content
    assert signed is not None  # a packet in memory keeps its canonical bytes
    stages = {
        "scan": lambda: scan(data, DEFAULT_LIMITS),
        "tree": lambda: build_tree(data),
        "shape": lambda: inspect(etree.fromstring(data), AlgorithmPolicy()),
        "signxml": lambda: verifier.check_cryptography(data, shape),
        "read_model": lambda: read_scanned(without_signature(copy.deepcopy(scanned)), signed),
        "trust": lambda: store.signer(issued.certificate, CODE, at=now),
    }
    node = rate(lambda: verifier.verify(data, at=now), seconds)
    baseline = rate(bare_verify(data, issued), seconds)
    stage_rates = {name: rate(action, seconds / 3) for name, action in stages.items()}
    return {
        "key": key_type.value,
        "packet_bytes": len(data),
        "node_verifies_per_s": node,
        "baseline_verifies_per_s": baseline,
        "ratio": node / baseline,
        "stage_us": {name: 1e6 / r for name, r in stage_rates.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="timing per figure")
    args = parser.parse_args()
    results = [measure(key_type, args.seconds) for key_type in (KeyType.RSA, KeyType.EC)]
    for r in results:
        print(
            f"{r['key']:>3} {r['packet_bytes']} B  node {r['node_verifies_per_s']:8.0f}/s  "
            f"baseline (bare cryptography verify) {r['baseline_verifies_per_s']:8.0f}/s  "
            f"ratio {r['ratio']:.3f}"
        )
        stages = r["stage_us"]
        assert isinstance(stages, dict)
        print("    stages (us): " + ", ".join(f"{k} {v:.0f}" for k, v in stages.items()))
    print(json.dumps({"benchmark": "B2 signature_verify", "target_per_core": 3000,
                      "results": results}))  # fmt: skip


if __name__ == "__main__":
    main()
