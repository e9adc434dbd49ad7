"""Benchmark B4 end to end: one signed packet carrying a 50 MiB attachment, submitted over HTTP to
a node run as the README runs one (`axis serve`, default settings), routed, landed in the
recipient's pull inbox and fetched back byte-identical over HTTP.

Measured: whether the default settings accept it, the time from the request to the inbox, and
the node's memory: each node process's peak resident memory (VmHWM) after the run minus its
resident memory before (VmRSS), the largest of them, against the packet's size (the baseline;
the target is a growth below 2x). The last line printed is JSON.

    .venv/bin/python -m benchmarks.attachment_end_to_end [--mib 50] [--database-url URL]

Kafka: a broker of its own on a free port (or AXIS_KAFKA_BOOTSTRAP). Database: SQLite (or
--database-url).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import time
import uuid
from datetime import date
from pathlib import Path

import aiohttp

from benchmarks.end_to_end import (
    agency_code,
    database_of,
    in_workspace,
    peak_rss_mib,
    running_node,
)
from envelopes.attachments import Attachment, AttachmentContent
from envelopes.document_id import DocumentId
from envelopes.model import Code, DocumentPacket, DocumentType, Organization, PromulgationInfo
from envelopes.writing import to_bytes
from signing.certificates import load_certificate, load_private_key
from signing.signer import sign_packet

MIB = 1024 * 1024


def rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def signed_packet(pki: Path, mib: int) -> bytes:
    sender, recipient = agency_code(0), agency_code(1)
    content = AttachmentContent(os.urandom(MIB) for _ in range(mib))
    attachment = Attachment(
        content_id="cid:1", name="ho-so.zip", content_type="application/zip", content=content
    )
    number = uuid.uuid4().hex[:8]
    packet = DocumentPacket(
        sender=Organization(organ_id=sender, organ_name=f"Đơn vị {sender}"),
        recipients=(Organization(organ_id=recipient),),
        document_id=DocumentId(sender, date(2025, 7, 2), number, "CV-B4"),
        code=Code(number, "CV-B4"),
        promulgation=PromulgationInfo(day=date(2025, 7, 2), place="Tây Ninh"),
        document_type=DocumentType(type="1", type_name="Công văn"),
        subject="Hồ sơ kèm theo dung lượng lớn",
        manifest=(attachment.reference,),
        attachments=(attachment,),
    )
    return sign_packet(
        to_bytes(packet),
        load_private_key(pki / f"{sender}.key"),
        load_certificate(pki / f"{sender}.pem"),
    )


async def run(args: argparse.Namespace) -> dict[str, object]:
    return await in_workspace("b4", args, run_on)


async def run_on(args: argparse.Namespace, data_dir: Path, bootstrap: str) -> dict[str, object]:
    database_url, schema = database_of(args, data_dir, "b4")
    async with running_node(data_dir, bootstrap, database_url, schema, None) as node:
        data = await asyncio.to_thread(signed_packet, data_dir / "pki", args.mib)
        pids = node.pids()
        before = {pid: rss_mib(pid) for pid in pids}
        sender, recipient = agency_code(0), agency_code(1)
        timeout = aiohttp.ClientTimeout(total=600)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            started = time.perf_counter()
            headers = {"Authorization": f"Bearer {node.secrets[sender]}"}
            async with http.post(f"{node.url}/v1/packets", data=data, headers=headers) as answer:
                status = answer.status
                body = await answer.json()
            accepted = time.perf_counter() - started
            if status != 202:
                return {"benchmark": "B4", "accepted": False, "status": status, "answer": body}
            message_id = body["message_id"]
            reader = {"Authorization": f"Bearer {node.secrets[recipient]}"}
            fetched = b""
            while time.perf_counter() - started < 300:
                async with http.get(f"{node.url}/v1/packets/{message_id}", headers=reader) as got:
                    if got.status == 200:
                        fetched = await got.read()
                        break
                await asyncio.sleep(0.5)
            landed = time.perf_counter() - started
        growth = max(peak_rss_mib(pid) - before.get(pid, 0.0) for pid in pids)
    packet_mib = len(data) / MIB
    return {
        "benchmark": "B4",
        "attachment_mib": args.mib,
        "packet_mib": round(packet_mib, 1),
        "accepted": True,
        "accepted_seconds": round(accepted, 2),
        "fetched_seconds": round(landed, 2),
        "byte_identical": hashlib.sha256(fetched).digest() == hashlib.sha256(data).digest(),
        "node_peak_growth_mib": round(growth, 1),
        "ratio_to_packet": round(growth / packet_mib, 2),
        "target_ratio": 2.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=50)
    parser.add_argument("--database-url", default=None)
    result = asyncio.run(run(parser.parse_args()))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
