"""A single-node (or loopback multi-node) Apache Kafka in KRaft mode from the Maven Central jars."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from shared.kafka.access import BROKER_PRINCIPAL
from shared.kafka.admin import wait_for_kafka
from shared.kafka.connection import KafkaAuth
from shared.paths import LOCAL_DIR, REPO_ROOT
from tools.devstack import procs
from tools.devstack.kafka_security import Credentials, provision

POM = REPO_ROOT / "deploy" / "kafka" / "pom.xml"
LOG4J = REPO_ROOT / "deploy" / "kafka" / "log4j2.properties"
LIBS = LOCAL_DIR / "kafka" / "libs"


class KafkaSetupError(RuntimeError):
    pass


def ensure_jars(libs: Path = LIBS) -> Path:
    """Fetch the broker jars with Maven once; a marker records a complete fetch."""
    marker = libs / ".complete"
    if marker.exists() and marker.read_text() == POM.read_text():
        return libs
    if shutil.which("java") is None or shutil.which("mvn") is None:
        raise KafkaSetupError("Kafka needs `java` (17+) and `mvn` on PATH")
    if libs.exists():
        shutil.rmtree(libs)
    libs.mkdir(parents=True)
    result = subprocess.run(
        [
            "mvn",
            "-q",
            "-B",
            "-f",
            str(POM),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={libs}",
            "-DincludeScope=runtime",
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise KafkaSetupError(
            f"fetching Kafka jars with Maven failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    marker.write_text(POM.read_text())
    return libs


@dataclass
class KafkaNode:
    home: Path
    port: int = 9092
    controller_port: int = 9093
    node_id: int = 1
    # For a cluster: "1@127.0.0.1:9093,2@…"; None means a standalone combined node.
    voters: str | None = None
    heap: str = "512m"
    extra_config: dict[str, str] | None = None
    # SASL/SCRAM and ACLs (contract §6.1); None is a broker without authentication.
    credentials: Credentials | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pidfile(self) -> Path:
        return self.home / "kafka.pid"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    def _properties(self) -> str:
        client = "CLIENT" if self.credentials else "PLAINTEXT"
        lines = {
            "process.roles": "broker,controller",
            "node.id": str(self.node_id),
            "listeners": f"{client}://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"{client}://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.data_dir),
            "num.partitions": "12",
            "offsets.topic.num.partitions": "12",
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "false",
            # Only for topics the platform did not create (the bench's): its own carry their
            # retention from policy/retention.yaml (shared/kafka/retention.py).
            "log.retention.hours": "168",
        }
        if self.voters:
            lines["controller.quorum.voters"] = self.voters
        else:
            lines["controller.quorum.bootstrap.servers"] = f"127.0.0.1:{self.controller_port}"
        if self.credentials:
            lines.update(self.credentials.broker_properties())
        lines.update(self.extra_config or {})
        return "".join(f"{k}={v}\n" for k, v in lines.items())

    def _java(self, main: str, *args: str) -> list[str]:
        return [
            "java",
            f"-Xmx{self.heap}",
            f"-Dkafka.logs.dir={self.home / 'logs'}",
            f"-Dlog4j2.configurationFile={LOG4J}",
            "-cp",
            f"{LIBS}/*",
            main,
            *args,
        ]

    def prepare(self, cluster_id: str | None = None) -> None:
        ensure_jars()
        (self.home / "logs").mkdir(parents=True, exist_ok=True)
        config = self.home / "server.properties"
        config.write_text(self._properties())
        marker = self.home / ".sasl"  # formatted with the broker's SCRAM credential
        if (self.data_dir / "meta.properties").exists():
            if not self.credentials or marker.exists():
                return
            # Formatted before SASL: its metadata has no broker credential, so it cannot start
            # secured. Its records are set aside (not deleted) and the storage formatted afresh.
            aside = self.home / f"data.before-sasl-{uuid.uuid4().hex[:8]}"
            self.data_dir.rename(aside)
            print(f"Kafka: the data at {self.data_dir} predates SASL; moved to {aside}")
        cid = cluster_id or _random_cluster_id()
        args = ["format", f"--cluster-id={cid}", "--config", str(config)]
        if not self.voters:
            args.append("--standalone")
        if self.credentials:
            args += self.credentials.format_args()
        result = subprocess.run(self._java("kafka.tools.StorageTool", *args), capture_output=True, text=True)
        if result.returncode != 0:
            raise KafkaSetupError(f"formatting Kafka storage failed: {result.stdout}{result.stderr}")
        if self.credentials:
            marker.write_text("SCRAM-SHA-512\n")

    def running(self) -> bool:
        return procs.alive(procs.read_pid(self.pidfile))

    def start(self) -> int:
        """Start the broker detached; return its pid (an existing one if already running)."""
        pid = procs.read_pid(self.pidfile)
        if procs.alive(pid):
            return pid  # type: ignore[return-value]
        if procs.port_open("127.0.0.1", self.port):
            raise KafkaSetupError(
                f"port {self.port} is taken by another process; set KAFKA_BOOTSTRAP_SERVERS "
                "to use an existing Kafka, or free the port"
            )
        self.prepare()
        out = open(self.home / "logs" / "stdout.log", "ab")
        proc = subprocess.Popen(
            self._java("kafka.Kafka", str(self.home / "server.properties")),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        procs.write_pid(self.pidfile, proc.pid)
        return proc.pid

    def wait_ready(self, timeout_s: float = 90.0) -> None:
        asyncio.run(self.wait_ready_async(timeout_s))

    async def wait_ready_async(self, timeout_s: float = 90.0) -> None:
        try:
            auth = self.credentials.auth(BROKER_PRINCIPAL) if self.credentials else KafkaAuth("PLAINTEXT")
            await wait_for_kafka(self.bootstrap, timeout_s, auth=auth)
        except TimeoutError as exc:
            raise KafkaSetupError(f"{exc}; see {self.home / 'logs'}") from None

    def stop(self, *, kill: bool = False) -> bool:
        pid = procs.read_pid(self.pidfile)
        import signal

        stopped = (
            procs.stop_pid(pid, timeout_s=0 if kill else 30, sig=signal.SIGKILL if kill else signal.SIGTERM)
            if pid
            else False
        )
        procs.remove(self.pidfile)
        procs.wait_port_closed("127.0.0.1", self.port)
        return stopped


def _random_cluster_id() -> str:
    """A base64url UUID, as `kafka-storage random-uuid` makes: never starting with "-"."""
    import base64

    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


@dataclass
class KafkaCluster:
    """A KRaft cluster of `size` combined broker-controller nodes on loopback (`make up CLUSTER=3`
    and the fault tests): every topic replicated `size` times, `min_insync` replicas needed for an
    acknowledged write, SASL/SCRAM and ACLs as on one node."""

    home: Path
    base_port: int = 29192
    size: int = 3
    min_insync: int = 2
    heap: str = "384m"

    def __post_init__(self) -> None:
        voters = ",".join(f"{i + 1}@127.0.0.1:{self.base_port + 2 * i + 1}" for i in range(self.size))
        self.credentials = Credentials(self.home / "credentials.json")
        replicated = {
            "default.replication.factor": str(self.size),
            "min.insync.replicas": str(self.min_insync),
            "offsets.topic.replication.factor": str(self.size),
            "transaction.state.log.replication.factor": str(self.size),
            "transaction.state.log.min.isr": str(self.min_insync),
            "share.coordinator.state.topic.replication.factor": str(self.size),
            "share.coordinator.state.topic.min.isr": str(self.min_insync),
        }
        self.nodes = [
            KafkaNode(
                self.home / f"node{i + 1}",
                port=self.base_port + 2 * i,
                controller_port=self.base_port + 2 * i + 1,
                node_id=i + 1,
                voters=voters,
                heap=self.heap,
                extra_config=replicated,
                credentials=self.credentials,
            )
            for i in range(self.size)
        ]

    @property
    def bootstrap(self) -> str:
        return ",".join(n.bootstrap for n in self.nodes)

    def start(self) -> None:
        cluster_id = _random_cluster_id()
        for node in self.nodes:
            node.prepare(cluster_id)
        for node in self.nodes:
            node.start()

    @property
    def replication(self) -> dict[str, str]:
        """Every topic's settings on this cluster."""
        return {"min.insync.replicas": str(self.min_insync)}

    async def wait_ready_async(self, timeout_s: float = 120.0, *, demo: bool = True) -> None:
        for node in self.nodes:
            await node.wait_ready_async(timeout_s)
        # The fault tests' clients are the test process's: the demo principals exist there too.
        await asyncio.to_thread(provision, self.bootstrap, self.credentials, ensure_jars(), demo=demo)

    def wait_ready(self, timeout_s: float = 120.0, *, demo: bool = True) -> None:
        asyncio.run(self.wait_ready_async(timeout_s, demo=demo))

    def running(self) -> bool:
        return any(node.running() for node in self.nodes)

    def stop(self, *, kill: bool = False) -> bool:
        """All nodes at once: stopped one by one, the last ones wait for a quorum already gone."""
        if kill:
            for node in self.nodes:
                node.stop(kill=True)
            return True
        pids = [pid for node in self.nodes if procs.alive(pid := procs.read_pid(node.pidfile))]
        procs.stop_many(pids, timeout_s=30)  # type: ignore[arg-type]
        for node in self.nodes:
            procs.remove(node.pidfile)
            procs.wait_port_closed("127.0.0.1", node.port)
        return bool(pids)
