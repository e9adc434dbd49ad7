"""Mutants of valid signed packets for the fuzz tests: bytes flipped, elements deleted,
duplicated or renamed (random names, prefixes, namespaces, `a:b:c`, undeclared prefixes),
unicode in text and attributes, other encodings, and re-signed mutants that pass the signature
and reach reading and routing.

Each seed packet is signed by a development PKI made for the test, whose trust store the
verifier uses, so an unmutated seed verifies."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import strategies as st
from lxml import etree

from axis.devtools.dev_pki import Issued, issue, new_authority
from envelopes.parsing import parse_packet
from envelopes.safe_parsing import build_tree
from signing.signer import sign_packet
from signing.trust import Authorization, TrustStore
from signing.verification import PacketVerifier

FIXTURES = Path(__file__).parent.parent / "fixtures" / "edxml"
EXAMPLES = int(os.environ.get("AXIS_FUZZ_EXAMPLES", "0"))
"""0: the bounded run of the suite; N: a longer run of N examples per test (see README)."""
NOW = datetime.now(UTC)


@dataclass(frozen=True)
class Seeds:
    """Unsigned seed packets, the keys that sign for their senders, and a verifier trusting
    them."""

    unsigned: tuple[bytes, ...]
    keys: dict[str, Issued]
    verifier: PacketVerifier

    def sign(self, data: bytes) -> bytes:
        """`data` signed by the key of its From (parsed again, as `axis sign` would)."""
        sender = parse_packet(data).sender_code
        issued = self.keys[sender]
        return sign_packet(data, issued.key, issued.certificate)


def make_seeds(extra: tuple[bytes, ...] = ()) -> Seeds:
    packets = tuple(path.read_bytes() for path in sorted(FIXTURES.glob("*.edxml"))) + extra
    authority = new_authority("Fuzz CA", not_before=NOW - timedelta(days=1))
    keys: dict[str, Issued] = {}
    valid: list[bytes] = []
    for data in packets:
        try:
            packet = parse_packet(data)
        except Exception:  # a fixture the reader refuses is no seed
            continue
        if packet.signature_present:  # a legacy signature: not a packet to sign
            continue
        sender = packet.sender_code
        valid.append(data)
        if sender not in keys:
            keys[sender] = issue(
                authority, sender, not_before=NOW - timedelta(days=1),
                not_after=NOW + timedelta(days=30),
            )  # fmt: skip
    grants = [Authorization.for_certificate(c, k.certificate) for c, k in keys.items()]
    trust = TrustStore.of([authority.certificate], grants, [])
    return Seeds(tuple(valid), keys, PacketVerifier(trust))


# --- mutations -------------------------------------------------------------------------------

NAMES = st.one_of(
    st.sampled_from(["a:b:c", "x:y", "edXML:Bogus", "ds:Signature", "Signature", "MessageHeader",
                     "xmlns:z", "xml:lang", "_", "From", "To", "AttachmentEncoded"]),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_.\-]{0,12}(:[A-Za-z_][A-Za-z0-9_]{0,8}){0,2}",
                  fullmatch=True),
)  # fmt: skip
NAMESPACES = st.sampled_from(
    ["", "%%%", "urn:x", "http://www.w3.org/2000/09/xmldsig#", "http://www.w3.org/XML/1998/namespace",
     "http://www.w3.org/2000/xmlns/", "http://www.mic.gov.vn/TBT/QCVN_102_2016", "not a uri"]
)  # fmt: skip
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), min_codepoint=1), max_size=40)


def _xml_text(value: str) -> str:
    """`value` as XML character data (escaped; characters XML cannot hold dropped)."""
    allowed = (c for c in value if c in "\t\n\r" or ord(c) >= 0x20)
    kept = "".join(c for c in allowed if not 0xFFFE <= ord(c) <= 0xFFFF)
    return kept.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@st.composite
def flipped(draw: st.DrawFn, data: bytes) -> bytes:
    """A few bytes replaced, inserted or deleted."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        if not out:
            break
        at = draw(st.integers(0, len(out) - 1))
        kind = draw(st.sampled_from(["replace", "insert", "delete"]))
        byte = draw(st.integers(0, 255))
        if kind == "replace":
            out[at] = byte
        elif kind == "insert":
            out.insert(at, byte)
        else:
            del out[at]
    return bytes(out)


@st.composite
def restructured(draw: st.DrawFn, data: bytes) -> bytes:
    """An element deleted, duplicated, renamed or given odd namespaces, text or attributes."""
    root = build_tree(data)
    elements = [e for e in root.iter() if isinstance(e.tag, str)]
    target = draw(st.sampled_from(elements))
    kind = draw(st.sampled_from(["delete", "duplicate", "rename", "text", "attribute", "xmlns",
                                 "comment"]))  # fmt: skip
    parent = target.getparent()
    if kind == "delete" and parent is not None:
        parent.remove(target)
    elif kind == "duplicate" and parent is not None:
        parent.insert(parent.index(target), etree.fromstring(etree.tostring(target)))
    elif kind == "text":
        target.text = _xml_text(draw(TEXT)) or None
    elif kind == "comment" and parent is not None:
        target.append(etree.Comment(_xml_text(draw(TEXT)).replace("-", "~") or "c"))
    text = etree.tostring(root, encoding="unicode")
    if kind in ("rename", "attribute", "xmlns"):
        # Names lxml would refuse to build are written into the text itself.
        local = etree.QName(target).localname
        start = text.find(f":{local}") if f":{local}" in text else text.find(f"<{local}")
        if start >= 0:
            end = text.find(">", start)
            name = draw(NAMES)
            insert = {
                "rename": f' data-x="1"><{name}/',
                "attribute": f' {name}="{_xml_text(draw(TEXT))}"',
                "xmlns": f' xmlns:{draw(NAMES).split(":")[0]}="{draw(NAMESPACES)}"',
            }[kind]
            if end > 0 and text[end - 1] != "/":
                text = text[:end] + insert + text[end:]
    return text.encode("utf-8")


@st.composite
def reencoded(draw: st.DrawFn, data: bytes) -> bytes:
    """The same packet in another encoding, with a byte-order mark, or a lying declaration."""
    kind = draw(st.sampled_from(["utf-16", "utf-16-le", "bom", "declared-other", "latin-1"]))
    text = data.decode("utf-8")
    if kind == "utf-16":
        return text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    if kind == "utf-16-le":
        return text.encode("utf-16-le")
    if kind == "bom":
        return b"\xef\xbb\xbf" + data
    if kind == "declared-other":
        declared = draw(st.sampled_from(["ISO-8859-1", "X-NOPE", "UTF-32", "ebcdic-cp-us", ""]))
        return data.replace(b'encoding="UTF-8"', f'encoding="{declared}"'.encode(), 1)
    return text.encode("latin-1", "replace")


def mutants(seeds: Seeds, signed: tuple[bytes, ...]) -> st.SearchStrategy[tuple[str, bytes]]:
    """(how, mutant) pairs: a mutation of a signed seed, or a mutation signed afterwards
    (`resigned`, which passes the signature when signing it succeeds)."""
    signed_seed = st.sampled_from(signed)
    unsigned_seed = st.sampled_from(seeds.unsigned)
    return st.one_of(
        signed_seed.flatmap(flipped).map(lambda m: ("flipped", m)),
        signed_seed.flatmap(restructured).map(lambda m: ("restructured", m)),
        signed_seed.flatmap(reencoded).map(lambda m: ("reencoded", m)),
        unsigned_seed.flatmap(restructured).map(lambda m: ("resigned", m)),
        unsigned_seed.flatmap(flipped).map(lambda m: ("resigned", m)),
    )
