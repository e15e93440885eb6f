"""The whole platform on one machine: embedded Kafka and PostgreSQL, then the six services.

`up` starts only what is not already running and returns when every service answers
`/readyz`; `down` stops everything and leaves no process behind. Pid files live in
`<root>/run/<name>.pid`, logs in `<root>/log/<name>.log`.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shared.kafka.admin import ensure_topics
from shared.kafka.retention import load_retention
from shared.paths import LOCAL_DIR, POLICY_DIR, REPO_ROOT
from tools.devstack import procs
from tools.devstack.kafka import KafkaCluster, KafkaNode, ensure_jars
from tools.devstack.kafka_security import Credentials, provision
from tools.devstack.pg_roles import RolePasswords, migrator_role, runtime_role
from tools.devstack.postgres import PostgresNode, PostgresPair
from tools.devstack.service_keys import local_service_keys

# name → default HTTP port. The command centre and the gateway ports are the contract's.
SERVICES: dict[str, int] = {
    "supervision": 8001,
    "handover": 8002,
    "risk": 8003,
    "alerting": 8004,
    "command_centre": 8000,
    "exchange": 8080,
}
# Contract §7.3: the gateway serves its internal API (the identity vault) on a listener of its own,
# this far above its public port; nothing else of the platform faces outside.
INTERNAL_PORT_SHIFT = {"exchange": 10}


@dataclass
class Stack:
    root: Path = LOCAL_DIR
    kafka_port: int = 9092
    pg_port: int = 5432
    port_offset: int = 0
    durable: bool = True
    extra_env: dict[str, str] = field(default_factory=dict)
    say: callable = print
    # Beyond one machine (docs/operations.md, "Beyond one machine"): `brokers` KRaft nodes with
    # every topic replicated to all of them (min.insync.replicas 2), a streaming standby of
    # PostgreSQL with synchronous commit, and more than one instance of the services named.
    brokers: int = 1
    standby: bool = False
    replicas: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.external_kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        self.external_db = os.environ.get("DATABASE_URL")
        demo = self.extra_env.get("SPS_DEMO_MODE", os.environ.get("SPS_DEMO_MODE", "false"))
        self.demo = demo.lower() in ("1", "true", "yes")
        # The embedded broker's principals (contract §6.1); an external cluster's come from the
        # environment instead.
        self.credentials = None if self.external_kafka else Credentials(self.root / "kafka" / "credentials.json")
        self.kafka: KafkaNode | KafkaCluster
        if self.brokers > 1:
            self.kafka = KafkaCluster(self.root / "kafka", base_port=self.kafka_port, size=self.brokers, heap="512m")
            self.credentials = None if self.external_kafka else self.kafka.credentials
        else:
            self.kafka = KafkaNode(
                self.root / "kafka",
                port=self.kafka_port,
                controller_port=self.kafka_port + 1,
                credentials=self.credentials,
            )
        # Each service's own database roles, and passwords for all (M2); an external server's come
        # from DATABASE_URL instead.
        passwords = None if self.external_db else RolePasswords(self.root / "postgres" / "credentials.json")
        self.pg: PostgresNode | PostgresPair
        if self.standby:
            self.pg = PostgresPair(
                self.root / "postgres",
                port=self.pg_port,
                standby_port=self.pg_port + 1,
                durable=self.durable,
                passwords=passwords,
            )
        else:
            self.pg = PostgresNode(self.root / "postgres", port=self.pg_port, durable=self.durable, passwords=passwords)

    # --- addresses ------------------------------------------------------------------

    @property
    def bootstrap(self) -> str:
        return self.external_kafka or self.kafka.bootstrap

    @property
    def database_url(self) -> str:
        return self.external_db or self.pg.url

    def port(self, service: str, instance: int = 0) -> int:
        """Instance 0 has the contract's port; further replicas of a service sit 100 above each other."""
        return SERVICES[service] + self.port_offset + INSTANCE_PORT_STEP * instance

    def url(self, service: str, instance: int = 0) -> str:
        return f"http://127.0.0.1:{self.port(service, instance)}"

    def internal_url(self, service: str, instance: int = 0) -> str:
        """Where `service`'s `/internal/` routes are served (its own port unless it faces outside)."""
        return f"http://127.0.0.1:{self.port(service, instance) + INTERNAL_PORT_SHIFT.get(service, 0)}"

    def pidfile(self, name: str, instance: int = 0) -> Path:
        return self.root / "run" / f"{instance_name(name, instance)}.pid"

    def logfile(self, name: str, instance: int = 0) -> Path:
        return self.root / "log" / f"{instance_name(name, instance)}.log"

    # --- infrastructure -------------------------------------------------------------

    def infra_up(self) -> None:
        if self.external_db:
            self.say(f"PostgreSQL: using DATABASE_URL ({_redact(self.external_db)})")
        else:
            t = time.monotonic()
            self.pg.start()
            procs.write_pid(self.pidfile("postgres"), self.pg.pid() or 0)
            self.pg.provision_roles()
            if isinstance(self.pg, PostgresPair):
                self.say(
                    f"PostgreSQL: primary on 127.0.0.1:{self.pg.primary.port}, synchronous standby on "
                    f"127.0.0.1:{self.pg.standby.port} ({time.monotonic() - t:.1f}s)"
                )
            else:
                self.say(f"PostgreSQL: ready on 127.0.0.1:{self.pg.port} ({time.monotonic() - t:.1f}s)")
        if self.external_kafka:
            self.say(f"Kafka: using KAFKA_BOOTSTRAP_SERVERS ({self.external_kafka})")
        else:
            t = time.monotonic()
            assert self.credentials is not None
            if isinstance(self.kafka, KafkaCluster):
                self.kafka.start()
                self.kafka.wait_ready(demo=self.demo)
                summary = f"{self.brokers} brokers, replication factor {self.brokers}"
            else:
                procs.write_pid(self.pidfile("kafka"), self.kafka.start())
                self.kafka.wait_ready()
                summary = provision(self.bootstrap, self.credentials, ensure_jars(), demo=self.demo)
            self.say(f"Kafka: ready on {self.kafka.bootstrap} ({time.monotonic() - t:.1f}s)")
            self.say(f"Kafka: SASL/SCRAM-SHA-512 and ACLs set ({summary})")
            # This process (and the tests and tools it runs) talks to Kafka as the operator.
            os.environ.update(self.credentials.operator_auth(demo=self.demo).environ())
        created = asyncio.run(ensure_topics(self.bootstrap, **self.topic_settings()))
        if created:
            self.say(f"Kafka: created {len(created)} topics")

    def topic_settings(self) -> dict:
        """Each topic's retention from the policy the services read (policy/retention.yaml), and
        on a cluster its replication."""
        policy_dir = (self.extra_env or {}).get("SPS_POLICY_DIR") or os.environ.get("SPS_POLICY_DIR") or POLICY_DIR
        retention = {"per_topic": load_retention(Path(policy_dir)).topic_configs()}
        if self.brokers == 1:
            return retention
        return {**retention, "replication_factor": self.brokers, "configs": {"min.insync.replicas": "2"}}

    def infra_down(self) -> None:
        if isinstance(self.kafka, KafkaCluster):
            if not self.external_kafka and self.kafka.stop():
                self.say("Kafka: stopped")
        elif not self.external_kafka and (self.kafka.running() or procs.read_pid(self.kafka.pidfile)):
            self.kafka.stop()
            self.say("Kafka: stopped")
        procs.remove(self.pidfile("kafka"))
        if not self.external_db and self.pg.running():
            self.pg.stop()
            self.say("PostgreSQL: stopped")
        procs.remove(self.pidfile("postgres"))

    # --- services -------------------------------------------------------------------

    def service_env(self, name: str, instance: int = 0) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
                "DATABASE_URL": self.database_url,
                "SPS_SERVICE_NAME": name,  # replicas share the name: one database, one consumer group
                "SPS_HTTP_HOST": "127.0.0.1",
                "SPS_HTTP_PORT": str(self.port(name, instance)),
                "PYTHONUNBUFFERED": "1",
                "SPS_ALERTING_URL": self.url("alerting"),
                "SPS_SUPERVISION_URL": self.url("supervision"),
                "SPS_RISK_URL": self.url("risk"),
                "SPS_HANDOVER_URL": self.url("handover"),
                "SPS_EXCHANGE_URL": self.internal_url("exchange"),
            }
        )
        if name in INTERNAL_PORT_SHIFT:
            env["SPS_INTERNAL_PORT"] = str(self.port(name, instance) + INTERNAL_PORT_SHIFT[name])
        if self.brokers > 1:
            env["SPS_TOPIC_REPLICATION_FACTOR"] = str(self.brokers)
        env.update(self.extra_env)
        if not self.external_db:  # each service connects as its own role; migrations as another
            env["DATABASE_URL"] = self.pg.role_url(runtime_role(name))
            env["SPS_MIGRATION_DATABASE_URL"] = self.pg.role_url(migrator_role(name))
        if self.credentials is not None:  # each service is its own principal
            env.update(self.credentials.service_environ(name))
        if "SPS_SERVICE_SIGNING_KEY" not in env:  # and signs with a key of its own, made for this install
            env.update(local_service_keys(self.root)[name])
        return env

    def start_service(self, name: str, instance: int = 0, env: dict[str, str] | None = None) -> int:
        pidfile = self.pidfile(name, instance)
        pid = procs.read_pid(pidfile)
        if procs.alive(pid):
            return pid  # type: ignore[return-value]
        port = self.port(name, instance)
        if procs.port_open("127.0.0.1", port):
            raise RuntimeError(f"port {port} for {instance_name(name, instance)} is taken by another process")
        self.logfile(name, instance).parent.mkdir(parents=True, exist_ok=True)
        out = open(self.logfile(name, instance), "ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", f"services.{name}.main"],
            cwd=REPO_ROOT,
            env=self.service_env(name, instance) | (env or {}),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        procs.write_pid(pidfile, proc.pid)
        return proc.pid

    def instances(self, name: str) -> range:
        return range(self.replicas.get(name, 1))

    def services_up(self, names: list[str] | None = None) -> None:
        for name in names or list(SERVICES):
            for instance in self.instances(name):
                self.start_service(name, instance)

    def wait_ready(self, names: list[str] | None = None, timeout_s: float = 120.0, instance: int = 0) -> None:
        pending = set(names or SERVICES)
        deadline = time.monotonic() + timeout_s
        last: dict[str, str] = {}  # each pending service's last answer, to say why it timed out
        with httpx.Client(timeout=2.0) as client:
            while pending and time.monotonic() < deadline:
                for name in sorted(pending):
                    if not procs.alive(procs.read_pid(self.pidfile(name, instance))):
                        log = self.logfile(name, instance)
                        raise RuntimeError(f"{name} exited during start; see {log}:\n" + _tail(log))
                    try:
                        answer = client.get(f"{self.url(name, instance)}/readyz")
                        last[name] = f"{answer.status_code} {answer.text}"
                        if answer.status_code == 200:
                            pending.discard(name)
                            self.say(f"{instance_name(name, instance)}: ready at {self.url(name, instance)}")
                    except httpx.HTTPError as exc:
                        last[name] = repr(exc)
                if pending:
                    time.sleep(0.25)
        if pending:
            why = "\n".join(
                f"--- {instance_name(n, instance)}: /readyz said {last.get(n, 'nothing')}; "
                f"{self.logfile(n, instance)} ends:\n{_tail(self.logfile(n, instance), 4000)}"
                for n in sorted(pending)
            )
            raise TimeoutError(f"not ready after {timeout_s:.0f}s: {', '.join(sorted(pending))}\n{why}")

    def stop_service(self, name: str, *, kill: bool = False, instance: int = 0) -> bool:
        import signal

        pid = procs.read_pid(self.pidfile(name, instance))
        stopped = bool(pid) and procs.stop_pid(pid, timeout_s=15, sig=signal.SIGKILL if kill else signal.SIGTERM)
        procs.remove(self.pidfile(name, instance))
        return stopped

    def _pidfiles(self) -> dict[str, Path]:
        """Every service process's pid file, extra replicas included."""
        run = self.root / "run"
        found = {f.stem: f for name in SERVICES for f in run.glob(f"{name}#*.pid")} if run.exists() else {}
        return {**{name: self.pidfile(name) for name in SERVICES}, **found}

    def services_down(self) -> None:
        files = self._pidfiles()
        running = {name: pid for name, f in files.items() if procs.alive(pid := procs.read_pid(f))}
        procs.stop_many(list(running.values()), timeout_s=15)
        for f in files.values():
            procs.remove(f)
        if running:
            self.say(f"stopped {', '.join(running)}")

    # --- whole platform -------------------------------------------------------------

    def up(self) -> None:
        started = time.monotonic()
        self.infra_up()
        self.services_up()
        self.wait_ready()
        for extra in range(1, max(self.replicas.values(), default=1)):
            self.wait_ready([n for n in SERVICES if extra in self.instances(n)], instance=extra)
        self.say(
            f"SPS is up in {time.monotonic() - started:.1f}s — console {self.url('command_centre')}, "
            f"gateway {self.url('exchange')}"
        )

    def down(self) -> None:
        self.services_down()
        self.infra_down()

    def status(self) -> dict[str, bool]:
        state = {
            instance_name(name, i): procs.alive(procs.read_pid(self.pidfile(name, i)))
            for name in SERVICES
            for i in self.instances(name)
        }
        state["kafka"] = bool(self.external_kafka) or self.kafka.running()
        state["postgres"] = bool(self.external_db) or self.pg.running()
        return state


INSTANCE_PORT_STEP = 100


def instance_name(name: str, instance: int) -> str:
    return name if instance == 0 else f"{name}#{instance + 1}"


def _tail(path: Path, chars: int = 2000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
