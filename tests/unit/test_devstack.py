from pathlib import Path

import pytest

from shared.settings import ServiceSettings
from tools.devstack.kafka import KafkaNode, _random_cluster_id


def test_kafka_cluster_ids_never_look_like_an_option():
    assert not any(_random_cluster_id().startswith("-") for _ in range(5000))


def test_standalone_and_cluster_node_configs():
    single = KafkaNode(Path("/x"), port=9092, controller_port=9093)._properties()
    assert "controller.quorum.bootstrap.servers=127.0.0.1:9093" in single
    assert "process.roles=broker,controller" in single and "auto.create.topics.enable=false" in single
    member = KafkaNode(
        Path("/x"), port=9192, controller_port=9193, node_id=2, voters="1@127.0.0.1:9093,2@127.0.0.1:9193"
    )._properties()
    assert "controller.quorum.voters=1@127.0.0.1:9093,2@127.0.0.1:9193" in member and "node.id=2" in member


def test_each_service_gets_its_own_database_on_the_named_server(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:p@db.example:6543/maint")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "k1:9092,k2:9092")
    s = ServiceSettings(service_name="alerting")
    assert s.service_database_url == "postgresql+asyncpg://u:p@db.example:6543/sps_alerting"
    assert s.maintenance_database_url.endswith("/maint")
    assert s.kafka_bootstrap_servers == "k1:9092,k2:9092"


def test_a_secured_node_listens_only_with_sasl_and_authorises_every_request(tmp_path):
    from tools.devstack.kafka_security import Credentials

    credentials = Credentials(tmp_path / "credentials.json")
    props = KafkaNode(tmp_path, port=9092, controller_port=9093, credentials=credentials)._properties()
    config = dict(line.split("=", 1) for line in props.splitlines())
    assert config["listeners"] == "CLIENT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093"
    assert config["listener.security.protocol.map"] == "CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT"
    assert config["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert config["allow.everyone.if.no.acl.found"] == "false"
    assert config["super.users"] == "User:sps-broker;User:sps-controller"
    assert "PLAINTEXT://" not in config["listeners"]
    # The passwords are made once, kept private, and the same on the next start.
    assert (tmp_path / "credentials.json").stat().st_mode & 0o077 == 0
    assert Credentials(tmp_path / "credentials.json").passwords == credentials.passwords


@pytest.mark.parametrize("demo", ["false", "true"])
def test_each_service_gets_a_signing_key_of_its_own_made_for_the_install(tmp_path, monkeypatch, demo):
    """Demo mode too (N5): keys derived from the services' public names would let anyone sign."""
    import json

    from shared.service_tokens import ServiceTokens, demo_private_key, private_pem
    from tools.devstack.stack import SERVICES, Stack

    monkeypatch.delenv("SPS_SERVICE_SIGNING_KEY", raising=False)
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    stack = Stack(root=tmp_path, extra_env={"SPS_DEMO_MODE": demo})
    envs = {name: stack.service_env(name) for name in SERVICES}
    assert len({env["SPS_SERVICE_SIGNING_KEY"] for env in envs.values()}) == len(SERVICES)
    assert envs["supervision"]["SPS_SERVICE_SIGNING_KEY"] != private_pem(demo_private_key("supervision"))
    assert ServiceTokens.demo("supervision")  # (the derived keys exist for in-process tests only)
    trusted = {name: set(json.loads(env["SPS_SERVICE_VERIFY_KEYS"])) for name, env in envs.items()}
    assert trusted == {name: set() if name == "command_centre" else {"command_centre"} for name in SERVICES}
    assert len({env["KAFKA_SASL_PASSWORD"] for env in envs.values()}) == len(SERVICES)
    assert envs["supervision"]["KAFKA_SASL_USERNAME"] == "sps-supervision"
    assert Stack(root=tmp_path, extra_env={"SPS_DEMO_MODE": demo}).service_env("risk") == envs["risk"]  # kept


def test_a_multi_host_database_url_reaches_each_service_and_every_asyncpg_connection(monkeypatch):
    """The pool, the outbox's listener and the feed must all look for the primary the same way."""
    from shared.db.engine import asyncpg_params

    url = "postgresql+asyncpg://u:p@/postgres?host=127.0.0.1:5432&host=127.0.0.1:5433&target_session_attrs=read-write"
    monkeypatch.setenv("DATABASE_URL", url)
    own = ServiceSettings(service_name="alerting").service_database_url
    params = asyncpg_params(own, timeout=10)
    assert params["host"] == ["127.0.0.1", "127.0.0.1"] and params["port"] == [5432, 5433]
    assert params["database"] == "sps_alerting" and params["target_session_attrs"] == "read-write"
    assert params["user"] == "u" and params["password"] == "p" and params["timeout"] == 10
    single = asyncpg_params("postgresql+asyncpg://u:p@db:6543/sps_risk")
    assert (single["host"], single["port"], single["database"]) == ("db", 6543, "sps_risk")


def test_the_cluster_stack_replicates_topics_and_gives_services_both_database_hosts(tmp_path, monkeypatch):
    from tools.devstack.kafka import KafkaCluster
    from tools.devstack.postgres import PostgresPair
    from tools.devstack.stack import Stack

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    stack = Stack(root=tmp_path, kafka_port=39092, pg_port=35432, brokers=3, standby=True, replicas={"supervision": 2})
    assert isinstance(stack.kafka, KafkaCluster) and isinstance(stack.pg, PostgresPair)
    assert stack.bootstrap == "127.0.0.1:39092,127.0.0.1:39094,127.0.0.1:39096"
    settings = stack.topic_settings()
    assert (settings["replication_factor"], settings["configs"]) == (3, {"min.insync.replicas": "2"})
    assert settings["per_topic"]["ingest.locations.v1"] == {
        "retention.ms": str(7 * 24 * 3600 * 1000),
        "message.timestamp.type": "LogAppendTime",
    }
    env = stack.service_env("supervision", 1)
    assert env["SPS_HTTP_PORT"] == "8101" and env["SPS_TOPIC_REPLICATION_FACTOR"] == "3"
    assert "host=127.0.0.1:35432&host=127.0.0.1:35433&target_session_attrs=read-write" in env["DATABASE_URL"]
    assert "host=127.0.0.1:35433" in env["SPS_MIGRATION_DATABASE_URL"]
    assert list(stack.instances("supervision")) == [0, 1] and list(stack.instances("risk")) == [0]
    # Which node is primary is recorded: after a promotion the other node is, and stays, primary.
    assert stack.pg.primary.port == 35432 and stack.pg.standby.port == 35433
    (tmp_path / "postgres").mkdir(exist_ok=True)
    (tmp_path / "postgres" / "primary").write_text("b\n")
    assert stack.pg.primary.port == 35433 and stack.pg.standby.port == 35432


def test_a_process_that_exited_but_was_not_reaped_counts_as_stopped():
    """`make up`'s processes outlive the command that started them; when they exit, the machine's
    init reaps them when it gets to it. Until then each is a zombie: stopped, not running."""
    import signal
    import subprocess
    import sys

    import psutil

    from tools.devstack import procs

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        proc = psutil.Process(child.pid)
        assert procs.wait_ended([proc], 0) == ([], [proc])  # running: not ended
        proc.send_signal(signal.SIGTERM)
        ended, still = procs.wait_ended([proc], 30)  # it exits; nobody has reaped it yet
        assert (ended, still) == ([proc], []) and proc.status() == psutil.STATUS_ZOMBIE
        assert not procs.alive(child.pid)
        assert procs.stop_pid(child.pid) is False  # nothing left to stop
    finally:
        child.kill()
        child.wait()


def test_a_process_whose_main_thread_ended_while_another_runs_is_still_running(tmp_path):
    """Its main thread shows as a zombie, but its other threads still hold its files (a listening
    socket among them): not ended until the last of them has gone."""
    import subprocess
    import sys
    import time

    import psutil

    from tools.devstack import procs

    release, started = tmp_path / "release", tmp_path / "started"
    script = (
        "import ctypes, os, threading, time\n"
        "def hold():\n"
        f"    while not os.path.exists({str(release)!r}): time.sleep(0.05)\n"
        "threading.Thread(target=hold).start()\n"
        f"open({str(started)!r}, 'w').close()\n"
        "ctypes.CDLL(None).pthread_exit(None)\n"  # the main thread ends; the other goes on
    )
    child = subprocess.Popen([sys.executable, "-c", script])
    try:
        proc = psutil.Process(child.pid)
        while not started.exists() or proc.status() != psutil.STATUS_ZOMBIE:
            assert child.poll() is None
            time.sleep(0.01)
        assert procs.wait_ended([proc], 0) == ([], [proc])  # the leader is a zombie; a thread lives
        release.touch()
        assert procs.wait_ended([proc], 30) == ([proc], [])
    finally:
        child.kill()
        child.wait()
