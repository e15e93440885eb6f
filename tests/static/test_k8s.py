"""deploy/k8s checked offline: the files are the generator's output, every manifest validates
against its schema (the Kubernetes API's own, strict; ours for the operators' custom resources),
and the rules the platform depends on hold (probes, resources, secrets, scaling bounds, Kafka's
replication, PostgreSQL replicas, a dashboard that only queries metrics the services export)."""

from __future__ import annotations

import copy
import importlib.util
import json
import re
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from shared.paths import REPO_ROOT
from shared.topics import all_topics_with_dlq
from tools.devstack.stack import SERVICES

K8S = REPO_ROOT / "deploy" / "k8s"
KUBE_VERSION = "1.33.0"  # the oldest Kubernetes the manifests are meant for
CONSUMERS = {"supervision", "alerting", "handover", "risk"}
OPERATOR_GROUPS = {"kafka.strimzi.io", "postgresql.cnpg.io"}  # custom resources: our schemas
SECRETISH = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|CLIENTS|DATABASE_URL")


def generator():
    spec = importlib.util.spec_from_file_location("sps_k8s_generate", K8S / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def manifests() -> list[tuple[Path, dict]]:
    out = []
    for path in sorted(K8S.rglob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        out.extend((path, doc) for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc)
    return out


def cr_schema(doc: dict) -> dict:
    group_version = doc["apiVersion"].replace("/", "_")
    path = K8S / "schemas" / f"{group_version}_{doc['kind'].lower()}.json"
    assert path.exists(), f"no schema for {doc['apiVersion']} {doc['kind']}"
    return json.loads(path.read_text())


def validate(doc: dict) -> None:
    if doc["apiVersion"].split("/")[0] in OPERATOR_GROUPS:
        jsonschema.validate(doc, cr_schema(doc), cls=jsonschema.Draft202012Validator)
    else:
        kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)


def by_kind(kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for _, doc in manifests() if doc["kind"] == kind}


def test_the_files_are_the_generators_output():
    gen = generator()
    for path, docs in gen.files().items():
        assert list(yaml.safe_load_all(path.read_text(encoding="utf-8"))) == docs, f"{path}: run `make k8s`"
    for path, doc in gen.kustomizations().items():
        assert yaml.safe_load(path.read_text(encoding="utf-8")) == doc, f"{path}: run `make k8s`"
    assert json.loads(gen.DASHBOARD.read_text(encoding="utf-8")) == gen.dashboard(), "run `make k8s`"


def test_every_manifest_validates_against_its_schema():
    docs = manifests()
    assert len(docs) > 40
    for path, doc in docs:
        try:
            validate(doc)
        except (kubernetes_validate.ValidationError, jsonschema.ValidationError) as exc:
            pytest.fail(f"{path.relative_to(REPO_ROOT)} {doc['kind']} {doc['metadata'].get('name')}: {exc}")


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["spec"]["template"]["spec"]["containers"][0].update(readinesProbe={}),  # a typo
        lambda d: d["spec"].update(replicas="two"),
    ],
)
def test_validation_refuses_a_broken_deployment(mutate):
    doc = copy.deepcopy(by_kind("Deployment")["sps-supervision"])
    mutate(doc)
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(doc)


def test_validation_refuses_a_broken_custom_resource():
    doc = copy.deepcopy(next(iter(by_kind("KafkaTopic").values())))
    doc["spec"]["partitons"] = 12
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)


def test_every_service_has_probes_resources_secrets_a_budget_and_an_autoscaler():
    deployments, pdbs, hpas = by_kind("Deployment"), by_kind("PodDisruptionBudget"), by_kind("HorizontalPodAutoscaler")
    services = by_kind("Service")
    for name, port in SERVICES.items():
        k8s_name = f"sps-{name.replace('_', '-')}"
        dep = deployments[k8s_name]
        pod = dep["spec"]["template"]["spec"]
        [container] = pod["containers"]
        assert container["command"] == ["python", "-m", f"services.{name}.main"]
        assert container["ports"][0] == {"name": "http", "containerPort": port}
        env = {var["name"]: var.get("value") for var in container["env"]}
        if name == "exchange":  # contract §7.3: the vault on a listener of its own, which the others call
            assert container["ports"][1:] == [{"name": "internal", "containerPort": 8090}]
            assert env["SPS_INTERNAL_PORT"] == "8090"
        else:
            assert len(container["ports"]) == 1 and "SPS_INTERNAL_PORT" not in env
            assert env["SPS_EXCHANGE_URL"].endswith(":8090")
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert {"cpu", "memory"} <= container["resources"]["requests"].keys()
        assert "memory" in container["resources"]["limits"]
        assert not container["image"].endswith(":latest") and ":" in container["image"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        for var in container["env"]:
            if var["name"].endswith("DATABASE_URL"):  # an address: its password comes apart, from a Secret
                assert re.fullmatch(r"postgresql\+asyncpg://\w+@[\w.-]+:\d+/\w+", var["value"]), var["value"]
            elif SECRETISH.search(var["name"]):
                assert "secretKeyRef" in var.get("valueFrom", {}), f"{name}: {var['name']} must come from a Secret"
        selector = dep["spec"]["selector"]["matchLabels"]
        assert pdbs[k8s_name]["spec"]["selector"]["matchLabels"] == selector
        assert pdbs[k8s_name]["spec"]["maxUnavailable"] == 1 and dep["spec"]["replicas"] >= 2
        assert services[k8s_name]["spec"]["selector"] == selector
        hpa = hpas[k8s_name]["spec"]
        assert hpa["scaleTargetRef"]["name"] == k8s_name and hpa["minReplicas"] >= 2
        kinds = {m["type"] for m in hpa["metrics"]}
        assert "Resource" in kinds
        if name in CONSUMERS:
            assert "External" in kinds, f"{name} scales on consumer lag too"
            assert hpa["maxReplicas"] <= 12, "more consumers than partitions would sit idle"


def test_kafka_is_a_kraft_cluster_of_three_with_every_topic_replicated():
    [pool] = by_kind("KafkaNodePool").values()
    assert pool["spec"]["replicas"] == 3 and set(pool["spec"]["roles"]) == {"controller", "broker"}
    [kafka] = by_kind("Kafka").values()
    assert kafka["metadata"]["annotations"]["strimzi.io/kraft"] == "enabled"
    config = kafka["spec"]["kafka"]["config"]
    assert config["default.replication.factor"] == 3 and config["min.insync.replicas"] == 2
    assert config["auto.create.topics.enable"] is False
    topics = {t["spec"]["topicName"]: t["spec"] for t in by_kind("KafkaTopic").values()}
    assert set(topics) == set(all_topics_with_dlq())
    for name, spec in topics.items():
        assert spec["partitions"] == 12 and spec["replicas"] == 3 and spec["config"]["min.insync.replicas"] == 2, name


def test_postgres_is_a_cloudnativepg_cluster_with_replicas():
    [cluster] = by_kind("Cluster").values()
    assert cluster["spec"]["instances"] >= 3 and cluster["spec"]["minSyncReplicas"] >= 1
    # M2: each service its own two roles (neither a superuser), its own database owned by the
    # migration role, and only those two let into it.
    from tools.devstack.pg_roles import database, migrator_role, runtime_role

    roles = {r["name"]: r for r in cluster["spec"]["managed"]["roles"]}
    databases = {d["spec"]["name"]: d["spec"] for d in by_kind("Database").values()}
    hba = cluster["spec"]["postgresql"]["pg_hba"]
    for name in SERVICES:
        runtime, migrator = runtime_role(name), migrator_role(name)
        assert not roles[runtime]["superuser"] and not roles[migrator]["superuser"]
        assert not roles[runtime]["createdb"] and roles[runtime]["passwordSecret"]["name"]
        assert databases[database(name)]["owner"] == migrator
        allow = hba.index(f"host {database(name)} {runtime},{migrator} all scram-sha-256")
        assert hba[allow + 1] == f"host {database(name)} all all reject"
        env = {
            v["name"]: v
            for v in by_kind("Deployment")[f"sps-{name.replace('_', '-')}"]["spec"]["template"]["spec"]["containers"][
                0
            ]["env"]
        }
        assert env["DATABASE_URL"]["value"].startswith(f"postgresql+asyncpg://{runtime}@")
        assert env["SPS_MIGRATION_DATABASE_URL"]["value"].startswith(f"postgresql+asyncpg://{migrator}@")
        assert (
            env["SPS_DATABASE_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"]
            == roles[runtime]["passwordSecret"]["name"]
        )


def test_kustomizations_name_only_files_that_exist():
    for path in K8S.rglob("kustomization.yaml"):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for item in doc.get("resources", []):
            assert (path.parent / item).exists(), f"{path}: {item}"
        for gen in doc.get("configMapGenerator", []):
            for item in gen["files"]:
                assert (path.parent / item).exists(), f"{path}: {item}"


def test_the_dashboard_queries_only_metrics_the_services_export():
    from prometheus_client import REGISTRY

    import services.supervision.handlers  # noqa: F401 — registers its own counter
    import shared.metrics  # noqa: F401

    exported = {
        sample_name
        for metric in REGISTRY.collect()
        for sample_name in [
            metric.name,
            f"{metric.name}_total",
            f"{metric.name}_bucket",
            f"{metric.name}_count",
            f"{metric.name}_sum",
        ]
    }
    dashboard = json.loads((K8S / "monitoring" / "sps-dashboard.json").read_text(encoding="utf-8"))
    assert dashboard["panels"]
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            names = set(re.findall(r"\bsps_[a-z_]+", target["expr"]))
            assert names and names <= exported, f"{panel['title']}: {names - exported}"


def test_kafka_needs_scram_and_each_service_is_its_own_principal_with_the_tables_acls():
    from shared.kafka.access import acl_bindings, service_access, service_principal

    [cluster] = by_kind("Kafka").values()
    assert {listener["authentication"]["type"] for listener in cluster["spec"]["kafka"]["listeners"]} == {
        "scram-sha-512"
    }
    assert cluster["spec"]["kafka"]["authorization"]["type"] == "simple"
    users = by_kind("KafkaUser")
    assert not {"ops-demo", "alert-consumer-demo", "device-demo"} & set(users), "demo principals stay out of k8s"
    deployments = by_kind("Deployment")
    for name in SERVICES:
        principal = service_principal(name)
        rules = {
            (acl["resource"]["type"], acl["resource"].get("name"), op.upper())
            for acl in users[principal]["spec"]["authorization"]["acls"]
            for op in acl["operations"]
        }
        assert rules == {
            (b.resource_type.lower(), b.resource_name, b.operation) for b in acl_bindings(service_access(name))
        }
        [container] = deployments[principal]["spec"]["template"]["spec"]["containers"]
        env = {var["name"]: var for var in container["env"]}
        assert env["KAFKA_SASL_USERNAME"]["value"] == principal
        assert env["KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": principal, "key": "password"}


def test_the_recorded_server_side_dry_run_covers_every_manifest_as_it_is_now():
    """docs/operations.md holds `make k8s-verify`'s last table. Each object of deploy/k8s must be
    in it, accepted: a manifest added or renamed since asks for the verification to run again."""
    text = (REPO_ROOT / "docs" / "operations.md").read_text()
    block = text.split("<!-- k8s-verify:begin -->", 1)[1].split("<!-- k8s-verify:end -->", 1)[0]
    rows = {
        (kind, name): answer
        for kind, name, answer in re.findall(r"^\| (\w+) \| ([\w./-]+) \| (.+) \|$", block, flags=re.M)
        if kind != "kind"
    }
    for path, doc in manifests():
        if doc["kind"] == "Kustomization":
            continue
        name = f"{doc['metadata'].get('namespace', '')}/{doc['metadata']['name']}".lstrip("/")
        assert rows.get((doc["kind"], name)) == "accepted", f"{path.name}: {doc['kind']} {name} not verified"
    assert "NOT refused" not in block and block.count(": refused:") >= 2, "the broken controls must be refused"
