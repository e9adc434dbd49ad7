"""How fast hostile packets are refused, next to parsing a valid packet in the same run.

Each case is refused several times and its median time printed beside the median time to parse
`document-new.edxml` (the baseline); a refusal should cost about what a normal packet costs, or
less, however large the attack. Run: .venv/bin/python benchmarks/hostile_refusal.py
The last line is JSON.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from envelopes.errors import EnvelopeError
from envelopes.namespaces import EDXML_NS
from envelopes.parsing import parse_packet

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
MB = 1024 * 1024
ROOT = f'<edXML xmlns="{EDXML_NS}">'.encode()


def _median_seconds(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _refuse(data: bytes) -> Callable[[], str]:
    def run() -> str:
        try:
            parse_packet(data)
        except EnvelopeError as error:
            return error.code
        raise SystemExit("a hostile case was accepted")

    return run


def main() -> None:
    cases = {p.stem: p.read_bytes() for p in sorted((FIXTURES / "hostile").glob("*.edxml"))}
    cases["deep-10000"] = ROOT + b"<a>" * 10_000 + b"</a>" * 10_000 + b"</edXML>"
    cases["attribute-10MB"] = ROOT + b'<edXMLEnvelope n="' + b"a" * (10 * MB) + b'"/></edXML>'
    cases["body-100MB"] = ROOT + b" " * (100 * MB) + b"</edXML>"
    valid = (FIXTURES / "edxml" / "document-new.edxml").read_bytes()
    baseline = _median_seconds(lambda: parse_packet(valid), runs=50)

    results = {}
    print(f"{'case':28} {'code':44} {'bytes':>11} {'ms':>9} {'x baseline':>10}")
    for name, data in cases.items():
        code = _refuse(data)()
        seconds = _median_seconds(_refuse(data), runs=5 if len(data) > MB else 30)
        results[name] = {"code": code, "bytes": len(data), "seconds": seconds,
                         "ratio": seconds / baseline}  # fmt: skip
        print(f"{name:28} {code:44} {len(data):>11} {seconds * 1e3:>9.3f} "
              f"{seconds / baseline:>10.2f}")  # fmt: skip
    print(f"baseline: parse document-new.edxml ({len(valid)} bytes) {baseline * 1e3:.3f} ms")
    worst = max(results.values(), key=lambda r: float(r["ratio"]))  # type: ignore[arg-type]
    print(json.dumps({"benchmark": "hostile_refusal", "baseline_seconds": baseline,
                      "worst_ratio": worst["ratio"], "cases": results}))  # fmt: skip


if __name__ == "__main__":
    main()
