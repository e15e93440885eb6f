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
