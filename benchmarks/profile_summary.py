"""Summarize py-spy's collapsed stacks (`--format raw`): where the samples go.

    .venv/bin/python benchmarks/profile_summary.py PROFILE [--top 25] [--match TEXT ...]

Prints the share of samples whose stack passes through each of the project's functions
(inclusive), the top functions by their own samples (exclusive), and for each `--match` the
share of samples whose stack contains TEXT.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def read(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    return stacks


def name(frame: str) -> str:
    match = FRAME.match(frame)
    if not match:
        return frame
    file = match["file"]
    for marker in ("site-packages/", "/work/main/", "python3.11/"):
        if marker in file:
            file = file.split(marker, 1)[1]
    return f"{match['function']} ({file})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path, nargs="+")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match", action="append", default=[])
    args = parser.parse_args()
    stacks = [s for path in args.profile for s in read(path)]
    total = sum(count for _, count in stacks)
    inclusive: Counter[str] = Counter()
    exclusive: Counter[str] = Counter()
    for frames, count in stacks:
        names = [name(f) for f in frames]
        for n in set(names):
            inclusive[n] += count
        exclusive[names[-1]] += count
    print(f"{total} samples")
    print("\ninclusive (project code):")
    packages = ("axis/", "routing/", "envelopes/", "signing/", "orgcodes/")
    own = [(n, c) for n, c in inclusive.most_common() if any(f"({p}" in n for p in packages)]
    for n, c in own[: args.top]:
        print(f"  {100 * c / total:5.1f}%  {n}")
    print("\nexclusive (any code):")
    for n, c in exclusive.most_common(args.top):
        print(f"  {100 * c / total:5.1f}%  {n}")
    for text in args.match:
        hit = sum(c for frames, c in stacks if any(text in f for f in frames))
        print(f"\n'{text}': {100 * hit / total:.1f}%")


if __name__ == "__main__":
    main()
