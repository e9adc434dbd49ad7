"""Running the `axis` command as a user does: a separate process, its own environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run_axis(
    args: list[str],
    env: dict[str, str],
    cwd: Path | None = None,
    timeout: float = 180,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "axis.cli.main", *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False,
        input=stdin,
    )  # fmt: skip
