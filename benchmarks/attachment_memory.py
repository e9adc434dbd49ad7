"""Benchmark B4 (envelopes part): memory to parse a packet carrying one 50 MB attachment.

Builds the packet in a temporary file, then, in a fresh subprocess (so nothing of the build
counts), reads it, parses it and hashes the attachment, measuring Python's peak allocation
(tracemalloc) and the process's peak resident memory (ru_maxrss) above its level after imports.
The baseline is the packet size itself; the target is a growth below 2x of it. The last line
printed is machine-readable JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

from envelopes.attachments import Attachment, AttachmentContent
from envelopes.document_id import DocumentId
from envelopes.model import Code, DocumentPacket, DocumentType, Organization, PromulgationInfo
from envelopes.parsing import Limits, parse_packet
from envelopes.writing import write_packet

ATTACHMENT_BYTES = 50 * 1024 * 1024
MB = 1024 * 1024


def build(path: Path) -> str:
    """Write the packet to `path`; return the SHA-256 of its attachment."""
    content = AttachmentContent(os.urandom(MB) for _ in range(ATTACHMENT_BYTES // MB))
    attachment = Attachment(
        content_id="cid:1", name="ho-so.zip", content_type="application/zip", content=content
    )
    sender = Organization(organ_id="000.00.12.H53", organ_name="Sở Khoa học và Công nghệ")
    packet = DocumentPacket(
        sender=sender,
        recipients=(Organization(organ_id="000.00.00.G22", organ_name="Văn phòng Chính phủ"),),
        document_id=DocumentId("000.00.12.H53", date(2025, 7, 2), "118", "SKHCN-CDS"),
        code=Code("118", "SKHCN-CDS"),
        promulgation=PromulgationInfo(day=date(2025, 7, 2), place="Tây Ninh"),
        document_type=DocumentType(type="1", type_name="Công văn"),
        subject="Hồ sơ kèm theo dung lượng lớn",
        manifest=(attachment.reference,),
        attachments=(attachment,),
    )
    with path.open("wb") as out:
        write_packet(packet, out)
    return content.sha256


def measure(path: Path) -> dict[str, float]:
    """Run in the subprocess: read, parse, hash; report peaks."""
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    started = time.perf_counter()
    data = path.read_bytes()
    packet = parse_packet(data, Limits(max_bytes=128 * MB))
    assert isinstance(packet, DocumentPacket)
    hasher = hashlib.sha256()
    for chunk in packet.attachments[0].content.iter_chunks():
        hasher.update(chunk)
    elapsed = time.perf_counter() - started
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {
        "sha256": hasher.hexdigest(),
        "traced_peak": traced_peak,
        "rss_growth": rss_peak - rss_before,
        "seconds": elapsed,
    }


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        print(json.dumps(measure(Path(sys.argv[2]))))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "packet.edxml"
        expected = build(path)
        packet_bytes = path.stat().st_size
        child = subprocess.run(
            [sys.executable, __file__, "--measure", str(path)],
            check=True,
            capture_output=True,
            text=True,
        )
    result = json.loads(child.stdout.strip().splitlines()[-1])
    if result["sha256"] != expected:
        raise SystemExit("the parsed attachment does not hash to what was written")
    peak = int(result["traced_peak"])
    growth = int(result["rss_growth"])
    print(f"packet size (baseline)      {packet_bytes / MB:8.1f} MB")
    print(f"attachment (decoded)        {ATTACHMENT_BYTES / MB:8.1f} MB")
    print(f"peak Python allocations     {peak / MB:8.1f} MB  ({peak / packet_bytes:.2f}x packet)")
    print(
        f"peak RSS growth             {growth / MB:8.1f} MB  ({growth / packet_bytes:.2f}x packet)"
    )
    print(f"read + parse + hash         {result['seconds']:8.2f} s")
    print(
        json.dumps(
            {
                "benchmark": "attachment_memory",
                "packet_bytes": packet_bytes,
                "attachment_bytes": ATTACHMENT_BYTES,
                "peak_bytes": peak,
                "rss_growth_bytes": growth,
                "ratio": round(peak / packet_bytes, 3),
                "rss_ratio": round(growth / packet_bytes, 3),
                "seconds": round(float(result["seconds"]), 3),
            }
        )
    )


if __name__ == "__main__":
    main()
