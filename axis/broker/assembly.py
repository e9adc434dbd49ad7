"""Assembles an Apache Kafka release from Maven artifacts into a cache directory, once.

The broker is `org.apache.kafka:kafka_2.13` and its runtime dependencies, copied by Maven from
the POM shipped beside this module. The result is `<cache>/kafka-<version>/libs/*.jar`, complete
only once the marker file exists, so an interrupted assembly is redone rather than trusted.
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

_MARKER = ".assembled"


class AssemblyError(Exception):
    """The Kafka release could not be assembled; the message says what to do."""


@dataclass(frozen=True, slots=True)
class KafkaRelease:
    version: str
    home: Path

    @property
    def libs(self) -> Path:
        return self.home / "libs"

    @property
    def classpath(self) -> str:
        return str(self.libs / "*")

    @property
    def is_complete(self) -> bool:
        return (self.home / _MARKER).is_file() and any(self.libs.glob("kafka_2.13-*.jar"))


def release_in(cache_dir: Path, version: str) -> KafkaRelease:
    return KafkaRelease(version=version, home=cache_dir / f"kafka-{version}")


def log4j_config() -> Path:
    return Path(str(resources.files("axis.broker").joinpath("log4j2.properties")))


def ensure_release(cache_dir: Path, version: str, *, quiet: bool = True) -> KafkaRelease:
    """Return the assembled release, running Maven first when it is not in the cache yet."""
    release = release_in(cache_dir, version)
    if release.is_complete:
        return release
    cache_dir.mkdir(parents=True, exist_ok=True)
    with _exclusive(cache_dir / f"kafka-{version}.lock"):
        if release.is_complete:  # another process assembled it while we waited
            return release
        _assemble(release, quiet=quiet)
    return release


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _assemble(release: KafkaRelease, *, quiet: bool) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise AssemblyError(
            "Maven (mvn) is not installed, and it is needed once to fetch Apache Kafka: "
            "run `make setup` (or `apt-get install -y maven`)"
        )
    pom = Path(str(resources.files("axis.broker").joinpath("kafka-pom.xml")))
    staging = Path(tempfile.mkdtemp(prefix=f"kafka-{release.version}-", dir=release.home.parent))
    command = [
        mvn, "-B", "-f", str(pom), "dependency:copy-dependencies",
        f"-Dkafka.version={release.version}",
        f"-DoutputDirectory={staging / 'libs'}",
        "-DincludeScope=runtime",
    ]  # fmt: skip
    if quiet:
        command.insert(1, "-q")
    result = subprocess.run(command, capture_output=quiet, text=True, check=False)
    if result.returncode != 0 or not any((staging / "libs").glob("kafka_2.13-*.jar")):
        shutil.rmtree(staging, ignore_errors=True)
        detail = (result.stdout or "")[-2000:] if quiet else ""
        raise AssemblyError(
            f"Maven could not assemble Apache Kafka {release.version} "
            f"(exit {result.returncode}); is the Maven repository reachable?\n{detail}"
        )
    (staging / _MARKER).write_text(release.version + "\n")
    if release.home.exists():
        shutil.rmtree(release.home)
    staging.rename(release.home)
