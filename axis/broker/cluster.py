"""Starts, stops and reports on a local KRaft cluster of real Kafka brokers (`kafka.Kafka`)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaClient
from aiokafka.errors import KafkaError

from axis.broker.assembly import KafkaRelease, log4j_config
from axis.broker.layout import ClusterLayout, NodeLayout
from axis.broker.probe import BrokerVersion, ProbeError, probe

_MAIN_CLASS = "kafka.Kafka"


class ClusterError(Exception):
    """The local cluster could not be started or stopped; the message says what to do."""


@dataclass(frozen=True, slots=True)
class NodeStatus:
    node: NodeLayout
    pid: int | None
    version: BrokerVersion | None
    problem: str | None

    @property
    def running(self) -> bool:
        return self.pid is not None

    @property
    def answering(self) -> bool:
        return self.version is not None


class LocalCluster:
    """One cluster on this machine: its layout on disk and the JVM processes that run it."""

    def __init__(self, layout: ClusterLayout) -> None:
        self.layout = layout

    # --- start ---------------------------------------------------------------------------
    async def start(self, release: KafkaRelease, *, heap: str = "1g", timeout: float = 90) -> None:
        """Start every node that is not running yet and wait until the cluster serves metadata.

        Starting a running cluster is harmless: nodes that run are left alone.
        """
        java = shutil.which("java")
        if java is None:
            raise ClusterError(
                "Java is not installed: the broker runs on the JVM. "
                "Run `make setup` (or `apt-get install -y openjdk-17-jre-headless`)."
            )
        cluster_id = self._cluster_id(release)
        spawned: list[NodeLayout] = []
        try:
            for node in self.layout.nodes:
                if self._pid(node) is None:
                    self._prepare(java, release, node, cluster_id)
                    self._spawn(java, release, node, heap)
                    spawned.append(node)
            await self.wait_ready(timeout=timeout)
        except BaseException:
            # Leave nothing half-started behind: stop what this call started.
            self._stop_nodes(spawned, timeout=10)
            raise

    def _prepare(self, java: str, release: KafkaRelease, node: NodeLayout, cluster_id: str) -> None:
        """Write the node's configuration and format its storage the first time."""
        self._refuse_taken_ports(node)
        node.logs_dir.mkdir(parents=True, exist_ok=True)
        node.config_file.write_text(self.layout.server_properties(node))
        if not (node.data_dir / "meta.properties").exists():
            self._format(java, release, node, cluster_id)

    def _cluster_id(self, release: KafkaRelease) -> str:
        described = self.layout.description_file
        if described.exists():
            recorded = json.loads(described.read_text())
            if (recorded["node_count"], recorded["port"]) != (
                self.layout.node_count,
                self.layout.port,
            ):
                raise ClusterError(
                    f"{self.layout.root} holds a cluster of {recorded['node_count']} node(s) on "
                    f"port {recorded['port']}; stop it with `axis broker stop --purge` first, "
                    "or give another directory"
                )
            return str(recorded["cluster_id"])
        # A KRaft cluster id is 16 random bytes in unpadded URL-safe base64 (what StorageTool's
        # random-uuid prints), so no JVM start is needed to make one. Like Kafka's own, it never
        # starts with "-": StorageTool would read `-t -xyz...` as an option (1 run in 64 failed).
        cluster_id = "-"
        while cluster_id.startswith("-"):
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        self.layout.root.mkdir(parents=True, exist_ok=True)
        described.write_text(
            self.layout.describe(cluster_id=cluster_id, kafka_version=release.version)
        )
        return cluster_id

    @staticmethod
    def _refuse_taken_ports(node: NodeLayout) -> None:
        for port in (node.port, node.controller_port):
            with socket.socket() as sock:
                sock.settimeout(0.5)
                if sock.connect_ex((node.host, port)) == 0:
                    raise ClusterError(
                        f"port {port} on {node.host} is taken by a process that is not this "
                        f"cluster's node {node.node_id}; stop it or choose another --port"
                    )

    @staticmethod
    def _format(java: str, release: KafkaRelease, node: NodeLayout, cluster_id: str) -> None:
        result = subprocess.run(
            [java, "-cp", release.classpath, "kafka.tools.StorageTool", "format",
             "-t", cluster_id, "-c", str(node.config_file), "--ignore-formatted"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise ClusterError(
                f"formatting the storage of node {node.node_id} failed: "
                f"{(result.stdout + result.stderr).strip()[-1500:]}"
            )

    @staticmethod
    def _spawn(java: str, release: KafkaRelease, node: NodeLayout, heap: str) -> None:
        console = (node.logs_dir / "console.log").open("ab")
        process = subprocess.Popen(
            [java, f"-Xms{heap}", f"-Xmx{heap}", "-XX:+UseG1GC", "-Djava.awt.headless=true",
             f"-Dlog4j2.configurationFile={log4j_config()}",
             f"-Dkafka.logs.dir={node.logs_dir}",
             "-cp", release.classpath, _MAIN_CLASS, str(node.config_file)],
            stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
            start_new_session=True, cwd=node.directory,
        )  # fmt: skip
        console.close()
        node.pid_file.write_text(f"{process.pid}\n")

    async def wait_ready(self, *, timeout: float) -> None:
        """Wait until every node answers ApiVersions and metadata lists every broker."""
        deadline = time.monotonic() + timeout
        last_problem = "no answer yet"
        while time.monotonic() < deadline:
            # Liveness by pid, not by command line: the java launcher may re-exec itself while
            # starting, and /proc/<pid>/cmdline is briefly empty then.
            dead = [n for n in self.layout.nodes if not _alive(_recorded_pid(n))]
            if dead:
                raise ClusterError(
                    f"node {dead[0].node_id} exited during start-up:\n{self._log_tail(dead[0])}"
                )
            try:
                for node in self.layout.nodes:
                    await probe(node.host, node.port, timeout=2)
                brokers = await metadata_brokers(self.layout.bootstrap)
                if brokers >= self.layout.node_count:
                    return
                last_problem = f"metadata lists {brokers} of {self.layout.node_count} brokers"
            except (ProbeError, KafkaError) as exc:
                last_problem = str(exc)
            await asyncio.sleep(0.5)
        raise ClusterError(
            f"the cluster did not become ready within {timeout:.0f} s ({last_problem}):\n"
            f"{self._log_tail(self.layout.nodes[0])}"
        )

    @staticmethod
    def _log_tail(node: NodeLayout, lines: int = 15) -> str:
        for name in ("console.log", "server.log"):
            path = node.logs_dir / name
            if path.exists() and path.stat().st_size:
                return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
        return "(the node wrote no log)"

    # --- stop ----------------------------------------------------------------------------
    def stop(self, *, timeout: float = 30, purge: bool = False) -> list[int]:
        """Stop every node (controlled shutdown, then SIGKILL after `timeout`); return the ids
        of the nodes that were running. With `purge`, delete the cluster's data as well."""
        stopped = self._stop_nodes(list(self.layout.nodes), timeout=timeout)
        if purge:
            shutil.rmtree(self.layout.root, ignore_errors=True)
        return stopped

    def _stop_nodes(self, nodes: list[NodeLayout], *, timeout: float) -> list[int]:
        running = {n.node_id: pid for n in nodes if (pid := self._pid(n)) is not None}
        for pid in running.values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(_alive(p) for p in running.values()):
            time.sleep(0.2)
        for pid in running.values():
            if _alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
        for node in nodes:
            node.pid_file.unlink(missing_ok=True)
        return sorted(running)

    def kill(self, node_id: int) -> None:
        """SIGKILL one node, as a crash would (for failure tests)."""
        node = self.layout.nodes[node_id - 1]
        pid = self._pid(node)
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            while _alive(pid):
                time.sleep(0.05)
            node.pid_file.unlink(missing_ok=True)

    # --- status --------------------------------------------------------------------------
    async def status(self) -> list[NodeStatus]:
        statuses = []
        for node in self.layout.nodes:
            pid = self._pid(node)
            version: BrokerVersion | None = None
            problem: str | None = None
            if pid is None:
                problem = "not running"
            else:
                try:
                    version = await probe(node.host, node.port, timeout=2)
                except ProbeError as exc:
                    problem = str(exc)
            statuses.append(NodeStatus(node=node, pid=pid, version=version, problem=problem))
        return statuses

    @staticmethod
    def _pid(node: NodeLayout) -> int | None:
        """The pid of the node's broker if it runs; a stale pid file (reboot, pid reuse by
        another program) counts as not running."""
        pid = _recorded_pid(node)
        if pid is None:
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return None
        if _MAIN_CLASS.encode() in cmdline and str(node.config_file).encode() in cmdline:
            return pid
        return None


def _recorded_pid(node: NodeLayout) -> int | None:
    try:
        return int(node.pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie child (when we started it in this process) is dead for our purposes.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    if state == "Z":
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        return False
    return True


async def metadata_brokers(bootstrap: str, *, timeout_ms: int = 3000) -> int:
    """Send a metadata request and return how many brokers the cluster lists."""
    client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=timeout_ms)
    try:
        await client.bootstrap()
        return len(client.cluster.brokers())
    finally:
        await client.close()
