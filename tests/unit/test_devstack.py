from pathlib import Path

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


def test_outside_demo_mode_each_service_gets_a_signing_key_of_its_own(tmp_path, monkeypatch):
    from tools.devstack.stack import SERVICES, Stack

    monkeypatch.delenv("SPS_SERVICE_SIGNING_KEY", raising=False)
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    stack = Stack(root=tmp_path, extra_env={"SPS_DEMO_MODE": "false"})
    envs = {name: stack.service_env(name) for name in SERVICES}
    assert len({env["SPS_SERVICE_SIGNING_KEY"] for env in envs.values()}) == len(SERVICES)
    assert len({env["SPS_SERVICE_VERIFY_KEYS"] for env in envs.values()}) == 1
    assert len({env["KAFKA_SASL_PASSWORD"] for env in envs.values()}) == len(SERVICES)
    assert envs["supervision"]["KAFKA_SASL_USERNAME"] == "sps-supervision"
    assert Stack(root=tmp_path, extra_env={"SPS_DEMO_MODE": "false"}).service_env("risk") == envs["risk"]
