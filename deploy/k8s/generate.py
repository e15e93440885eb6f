"""Writes the Kubernetes manifests in deploy/k8s/ from one table (`make k8s`).

Six services differ only in name, port, size and scaling, so their Deployment, Service,
PodDisruptionBudget and HorizontalPodAutoscaler are generated here rather than kept as six
hand-edited copies that drift. The committed YAML is what `kubectl apply -k deploy/k8s/overlays/…`
reads; tests/static/test_k8s.py checks the files equal this script's output, validates every
manifest against its schema offline, and checks the rules below.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent
REPO = ROOT.parents[1]
sys.path.insert(0, str(REPO))

from shared.kafka.access import ADMIN_PRINCIPAL, Access, acl_bindings, platform_access, service_principal  # noqa: E402
from shared.kafka.retention import load_retention  # noqa: E402
from shared.paths import POLICY_DIR  # noqa: E402
from shared.topics import all_topics_with_dlq, broker_configs  # noqa: E402
from tools.devstack.pg_roles import database, migrator_role, runtime_role  # noqa: E402
from tools.devstack.stack import SERVICES  # noqa: E402

NAMESPACE = "sps"
IMAGE = "registry.example.org/sps/platform:0.1.0"  # one image for every service (Dockerfile); pin by tag
KAFKA_CLUSTER = "sps-kafka"
PG_CLUSTER = "sps-db"
PARTITIONS, REPLICAS, MIN_INSYNC = 12, 3, 2
DASHBOARD = ROOT / "monitoring" / "sps-dashboard.json"


@dataclass(frozen=True)
class Size:
    """Requests from the benchmark's measured RSS (docs/performance.md) with headroom."""

    cpu_request: str
    memory_request: str
    memory_limit: str
    min_replicas: int
    max_replicas: int
    lag_target: int | None  # scale out when one instance's consumer lag passes this (None: HTTP only)


SIZES = {
    # Consumers never exceed the partition count: a 13th instance would sit idle.
    "supervision": Size("500m", "384Mi", "768Mi", 2, PARTITIONS, 20_000),
    "alerting": Size("250m", "256Mi", "512Mi", 2, PARTITIONS, 2_000),
    "handover": Size("100m", "192Mi", "384Mi", 2, 6, 2_000),
    "risk": Size("250m", "192Mi", "384Mi", 2, 6, 5_000),
    "command_centre": Size("250m", "192Mi", "384Mi", 2, 6, None),
    "exchange": Size("500m", "256Mi", "512Mi", 2, 8, None),
}

# Service-specific secrets (all in the Secret `sps-secrets`, created outside git; see README).
SECRETS = {
    "exchange": {
        "SPS_GATEWAY_SIGNING_KEY": "gateway-signing-key",
        "SPS_GATEWAY_PREVIOUS_KEYS": "gateway-previous-keys",
        "SPS_GATEWAY_CLIENTS": "gateway-clients",
        "SPS_IDENTITY_KEY": "identity-key",
        "SPS_AUDIT_KEY": "audit-key",  # keys the audit chain; never in the database
        "SPS_PERSON_ID_KEY": "person-id-key",  # the gateway alone makes person ids (N7)
    },
    "command_centre": {"SPS_STAFF_SESSION_SECRET": "staff-session-secret"},
}
# Each service signs its internal calls with a key of its own (`<service>-service-signing-key`,
# from `python -m shared.service_tokens keys`); every service holds the public keys it trusts.
COMMON_SECRETS = {"SPS_SERVICE_VERIFY_KEYS": "service-verify-keys"}


# The services an ingress exposes (the console and the gateway) believe X-Forwarded-For only from
# SPS_TRUSTED_PROXIES (contract §7.2). Behind an ingress, patch it (an overlay) to the ingress
# controller's pod addresses or network, or every client shares the controller's address and
# one guesser's failures throttle every sign-in. Empty, as here: the header is ignored.
PUBLIC = ("command_centre", "exchange")
TRUSTED_PROXIES = ""
# Contract §7.3: the gateway's internal API (the identity vault) has a listener of its own, which
# the Service names `internal`; an ingress routes only `http` outside.
INTERNAL_PORTS = {"exchange": 8090}


def k8s_name(service: str) -> str:
    return f"sps-{service.replace('_', '-')}"


def labels(service: str) -> dict:
    return {"app.kubernetes.io/name": k8s_name(service), "app.kubernetes.io/part-of": "sps"}


def env(service: str) -> list[dict]:
    plain = {
        "SPS_SERVICE_NAME": service,
        "SPS_HTTP_HOST": "0.0.0.0",
        "SPS_HTTP_PORT": str(SERVICES[service]),
        "KAFKA_BOOTSTRAP_SERVERS": f"{KAFKA_CLUSTER}-kafka-bootstrap.{NAMESPACE}.svc:9092",
        "SPS_TOPIC_PARTITIONS": str(PARTITIONS),
        "SPS_TOPIC_REPLICATION_FACTOR": str(REPLICAS),
        **{
            f"SPS_{other.upper()}_URL": f"http://{k8s_name(other)}.{NAMESPACE}.svc:"
            f"{INTERNAL_PORTS.get(other, SERVICES[other])}"
            for other in ("alerting", "supervision", "risk", "handover", "exchange")
        },
        **({"SPS_INTERNAL_PORT": str(INTERNAL_PORTS[service])} if service in INTERNAL_PORTS else {}),
    }
    out = [{"name": k, "value": v} for k, v in plain.items()]
    if service in PUBLIC:
        out.append({"name": "SPS_TRUSTED_PROXIES", "value": TRUSTED_PROXIES})
    # Each service connects as its own database role and migrates as another (docs/security.md,
    # M2); CloudNativePG keeps each role's password in the basic-auth Secret `<role>-db`.
    for var, role in (("DATABASE", runtime_role(service)), ("MIGRATION_DATABASE", migrator_role(service))):
        prefix = "" if var == "DATABASE" else "SPS_"
        out.append(
            {
                "name": f"{prefix}{var}_URL",
                "value": f"postgresql+asyncpg://{role}@{PG_CLUSTER}-rw.{NAMESPACE}.svc:5432/postgres",
            }
        )
        ref = {"name": role_secret(role), "key": "password"}
        out.append({"name": f"SPS_{var}_PASSWORD", "valueFrom": {"secretKeyRef": ref}})
    # Each service is its own Kafka principal (contract §6.1): Strimzi's User Operator keeps the
    # password of the KafkaUser `sps-<service>` in the Secret of the same name.
    principal = service_principal(service)
    out.append({"name": "KAFKA_SECURITY_PROTOCOL", "value": "SASL_PLAINTEXT"})
    out.append({"name": "KAFKA_SASL_MECHANISM", "value": "SCRAM-SHA-512"})
    out.append({"name": "KAFKA_SASL_USERNAME", "value": principal})
    out.append({"name": "KAFKA_SASL_PASSWORD", "valueFrom": {"secretKeyRef": {"name": principal, "key": "password"}}})
    own = {"SPS_SERVICE_SIGNING_KEY": f"{service.replace('_', '-')}-service-signing-key"}
    for var, key in {**COMMON_SECRETS, **own, **SECRETS.get(service, {})}.items():
        optional = var == "SPS_GATEWAY_PREVIOUS_KEYS"
        ref = {"name": "sps-secrets", "key": key, **({"optional": True} if optional else {})}
        out.append({"name": var, "valueFrom": {"secretKeyRef": ref}})
    return out


def deployment(service: str) -> dict:
    size, port = SIZES[service], SERVICES[service]
    probe = {"httpGet": {"path": "/readyz", "port": "http"}, "periodSeconds": 5, "failureThreshold": 3}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": k8s_name(service), "namespace": NAMESPACE, "labels": labels(service)},
        "spec": {
            "replicas": size.min_replicas,
            "selector": {"matchLabels": labels(service)},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {
                "metadata": {
                    "labels": labels(service),
                    "annotations": {
                        "prometheus.io/scrape": "true",
                        "prometheus.io/port": str(port),
                        "prometheus.io/path": "/metrics",
                    },
                },
                "spec": {
                    "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "fsGroup": 10001},
                    # A SIGTERM lets the batch in hand commit before the partitions move.
                    "terminationGracePeriodSeconds": 30,
                    "topologySpreadConstraints": [
                        {
                            "maxSkew": 1,
                            "topologyKey": "kubernetes.io/hostname",
                            "whenUnsatisfiable": "ScheduleAnyway",
                            "labelSelector": {"matchLabels": labels(service)},
                        }
                    ],
                    "containers": [
                        {
                            "name": service.replace("_", "-"),
                            "image": IMAGE,
                            "command": ["python", "-m", f"services.{service}.main"],
                            "ports": [
                                {"name": "http", "containerPort": port},
                                *(
                                    [{"name": "internal", "containerPort": INTERNAL_PORTS[service]}]
                                    if service in INTERNAL_PORTS
                                    else []
                                ),
                            ],
                            "env": env(service),
                            "resources": {
                                "requests": {"cpu": size.cpu_request, "memory": size.memory_request},
                                "limits": {"memory": size.memory_limit},
                            },
                            # Migrations run at start: give them time before liveness counts.
                            "startupProbe": {
                                "httpGet": {"path": "/healthz", "port": "http"},
                                "periodSeconds": 2,
                                "failureThreshold": 60,
                            },
                            "livenessProbe": {
                                "httpGet": {"path": "/healthz", "port": "http"},
                                "periodSeconds": 10,
                                "failureThreshold": 3,
                            },
                            "readinessProbe": probe,
                            "securityContext": {
                                "allowPrivilegeEscalation": False,
                                "readOnlyRootFilesystem": True,
                                "capabilities": {"drop": ["ALL"]},
                            },
                            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                        }
                    ],
                    "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
                },
            },
        },
    }


def service(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": k8s_name(name), "namespace": NAMESPACE, "labels": labels(name)},
        "spec": {
            "selector": labels(name),
            "ports": [
                {"name": "http", "port": SERVICES[name], "targetPort": "http"},
                *(
                    [{"name": "internal", "port": INTERNAL_PORTS[name], "targetPort": "internal"}]
                    if name in INTERNAL_PORTS
                    else []
                ),
            ],
        },
    }


def pdb(name: str) -> dict:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": k8s_name(name), "namespace": NAMESPACE, "labels": labels(name)},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": labels(name)}},
    }


def hpa(name: str) -> dict:
    size = SIZES[name]
    metrics: list[dict] = [
        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}
    ]
    if size.lag_target is not None:
        # `sps_consumer_lag` per service, served by prometheus-adapter (deploy/k8s/monitoring).
        metrics.append(
            {
                "type": "External",
                "external": {
                    "metric": {"name": "sps_consumer_lag", "selector": {"matchLabels": {"service": name}}},
                    "target": {"type": "AverageValue", "averageValue": str(size.lag_target)},
                },
            }
        )
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": k8s_name(name), "namespace": NAMESPACE, "labels": labels(name)},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": k8s_name(name)},
            "minReplicas": size.min_replicas,
            "maxReplicas": size.max_replicas,
            "metrics": metrics,
            # Each scale step costs a consumer-group rebalance: scale in slowly.
            "behavior": {
                "scaleDown": {
                    "stabilizationWindowSeconds": 300,
                    "policies": [{"type": "Pods", "value": 1, "periodSeconds": 120}],
                }
            },
        },
    }


def kafka() -> list[dict]:
    retention = load_retention(POLICY_DIR)  # policy/retention.yaml: the same numbers as `make up`
    cluster_labels = {"strimzi.io/cluster": KAFKA_CLUSTER}
    pool = {
        "apiVersion": "kafka.strimzi.io/v1beta2",
        "kind": "KafkaNodePool",
        "metadata": {"name": "dual-role", "namespace": NAMESPACE, "labels": cluster_labels},
        "spec": {
            "replicas": REPLICAS,
            "roles": ["controller", "broker"],
            "storage": {
                "type": "jbod",
                "volumes": [
                    {
                        "id": 0,
                        "type": "persistent-claim",
                        "size": "200Gi",
                        "deleteClaim": False,
                        "kraftMetadata": "shared",
                    }
                ],
            },
            "resources": {"requests": {"cpu": "1", "memory": "4Gi"}, "limits": {"memory": "4Gi"}},
        },
    }
    cluster = {
        "apiVersion": "kafka.strimzi.io/v1beta2",
        "kind": "Kafka",
        "metadata": {
            "name": KAFKA_CLUSTER,
            "namespace": NAMESPACE,
            "annotations": {"strimzi.io/node-pools": "enabled", "strimzi.io/kraft": "enabled"},
        },
        "spec": {
            "kafka": {
                "version": "4.1.1",
                "metadataVersion": "4.1-IV1",
                "listeners": [
                    {"name": "plain", "port": 9092, "type": "internal", "tls": False, "authentication": SCRAM},
                    {"name": "tls", "port": 9093, "type": "internal", "tls": True, "authentication": SCRAM},
                ],
                # ACLs per KafkaUser (below); a principal without a rule may do nothing.
                "authorization": {"type": "simple"},
                "config": {
                    "default.replication.factor": REPLICAS,
                    "min.insync.replicas": MIN_INSYNC,
                    "offsets.topic.replication.factor": REPLICAS,
                    "transaction.state.log.replication.factor": REPLICAS,
                    "transaction.state.log.min.isr": MIN_INSYNC,
                    "auto.create.topics.enable": False,
                    "num.partitions": PARTITIONS,
                },
            },
            "entityOperator": {"topicOperator": {}, "userOperator": {}},
        },
    }
    topics = [
        {
            "apiVersion": "kafka.strimzi.io/v1beta2",
            "kind": "KafkaTopic",
            "metadata": {"name": t.replace(".", "-"), "namespace": NAMESPACE, "labels": cluster_labels},
            "spec": {
                "topicName": t,
                "partitions": PARTITIONS,
                "replicas": REPLICAS,
                "config": {"min.insync.replicas": MIN_INSYNC, "retention.ms": retention.ms(t), **broker_configs(t)},
            },
        }
        for t in all_topics_with_dlq()
    ]
    users = [kafka_user(a) for a in platform_access(demo=False)]
    return [pool, cluster, *topics, *users]


SCRAM = {"type": "scram-sha-512"}
_RESOURCE = {"TOPIC": "topic", "GROUP": "group", "CLUSTER": "cluster"}
_PATTERN = {"LITERAL": "literal", "PREFIXED": "prefix"}


def kafka_user(access: Access) -> dict:
    """A Strimzi KafkaUser from the ACL table of shared/kafka/access.py: one rule per resource."""
    rules: dict[tuple[str, str, str], list[str]] = {}
    for b in acl_bindings(access):
        rules.setdefault((b.resource_type, b.pattern_type, b.resource_name), []).append(b.operation.capitalize())
    acls = []
    for (kind, pattern, name), operations in rules.items():
        resource = {"type": _RESOURCE[kind]}
        if kind != "CLUSTER":
            resource |= {"name": name, "patternType": _PATTERN[pattern]}
        acls.append({"resource": resource, "operations": sorted(operations)})
    return {
        "apiVersion": "kafka.strimzi.io/v1beta2",
        "kind": "KafkaUser",
        "metadata": {
            "name": access.principal,
            "namespace": NAMESPACE,
            "labels": {"strimzi.io/cluster": KAFKA_CLUSTER},
            **({"annotations": {"sps/role": "operators"}} if access.principal == ADMIN_PRINCIPAL else {}),
        },
        "spec": {"authentication": SCRAM, "authorization": {"type": "simple", "acls": acls}},
    }


def role_secret(role: str) -> str:
    return f"{role.replace('_', '-')}-db"


def postgres() -> list[dict]:
    roles = [r for s in SERVICES for r in (runtime_role(s), migrator_role(s))]
    managed = [
        {
            "name": role,
            "ensure": "present",
            "login": True,
            "superuser": False,
            "createdb": False,
            "createrole": False,
            "passwordSecret": {"name": role_secret(role)},
        }
        for role in roles
    ]
    # A service's database takes only its own two roles; first match wins in pg_hba.
    hba = [
        line
        for s in SERVICES
        for line in (
            f"host {database(s)} {runtime_role(s)},{migrator_role(s)} all scram-sha-256",
            f"host {database(s)} all all reject",
        )
    ]
    databases = [
        {
            "apiVersion": "postgresql.cnpg.io/v1",
            "kind": "Database",
            "metadata": {"name": database(s).replace("_", "-"), "namespace": NAMESPACE},
            "spec": {"name": database(s), "owner": migrator_role(s), "cluster": {"name": PG_CLUSTER}},
        }
        for s in SERVICES
    ]
    return [
        {
            "apiVersion": "postgresql.cnpg.io/v1",
            "kind": "Cluster",
            "metadata": {"name": PG_CLUSTER, "namespace": NAMESPACE},
            "spec": {
                "instances": 3,
                "imageName": "ghcr.io/cloudnative-pg/postgresql:17",
                "primaryUpdateStrategy": "unsupervised",
                "bootstrap": {"initdb": {"database": "sps", "owner": "sps"}},
                "postgresql": {"parameters": {"max_connections": "400", "shared_buffers": "1GB"}, "pg_hba": hba},
                "managed": {"roles": managed},
                "minSyncReplicas": 1,
                "maxSyncReplicas": 1,
                "storage": {"size": "100Gi"},
                "resources": {"requests": {"cpu": "1", "memory": "4Gi"}, "limits": {"memory": "4Gi"}},
                "monitoring": {"enablePodMonitor": True},
            },
        },
        *databases,
    ]


def adapter_rules() -> list[dict]:
    """prometheus-adapter's external metric for the HPAs: a service's consumer lag, summed."""
    rules = {
        "externalRules": [
            {
                "seriesQuery": 'sps_consumer_lag{service!=""}',
                "resources": {"namespaced": False},
                "name": {"matches": "^sps_consumer_lag$", "as": "sps_consumer_lag"},
                "metricsQuery": "sum by (service) (<<.Series>>{<<.LabelMatchers>>})",
            }
        ]
    }
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "sps-prometheus-adapter-rules", "namespace": NAMESPACE},
            "data": {"config.yaml": yaml.safe_dump(rules, sort_keys=False)},
        }
    ]


# (title, PromQL, unit) — every metric named here is one the services export (shared/metrics.py).
PANELS = [
    ("Records consumed per second, by service", "sum by (service) (rate(sps_events_consumed_total[1m]))", "ops"),
    ("Records produced per second, by topic", "sum by (topic) (rate(sps_events_produced_total[1m]))", "ops"),
    ("Consumer lag, by service", "sum by (service) (sps_consumer_lag)", "short"),
    ("Outbox rows waiting, by service", "sum by (service) (sps_outbox_pending)", "short"),
    (
        "Batch handling time p95, by service",
        "histogram_quantile(0.95, sum by (service, le) (rate(sps_handler_seconds_bucket[5m])))",
        "s",
    ),
    ("Dead-lettered per minute, by topic", "sum by (topic) (rate(sps_events_dlq_total[5m])) * 60", "short"),
    (
        "Handler failures per minute, by kind",
        "sum by (service, kind) (rate(sps_events_failed_total[5m])) * 60",
        "short",
    ),
    (
        "Redelivered records dropped by the inbox per minute",
        "sum by (service) (rate(sps_events_duplicate_total[5m])) * 60",
        "short",
    ),
    (
        "Fixes before their case opened per minute: parked, judged when it opened, dead-lettered",
        "sum by (outcome) (rate(sps_supervision_fixes_before_case_total[5m])) * 60",
        "short",
    ),
    (
        "Rows written per fix, by table (supervision's write amplification)",
        "sum by (table) (rate(sps_supervision_position_rows_total[5m])) / ignoring(table) group_left "
        'sum(rate(sps_events_consumed_total{service="supervision", topic="ingest.locations.v1"}[5m]))',
        "short",
    ),
    (
        "Time paused by the garbage collector, share of each second, by pod and generation",
        "sum by (pod, generation) (rate(sps_gc_pause_seconds_sum[5m]))",
        "percentunit",
    ),
    (
        "Longest collector pauses (p99 over 5 minutes), by pod",
        "histogram_quantile(0.99, sum by (pod, le) (rate(sps_gc_pause_seconds_bucket[5m])))",
        "s",
    ),
]


def dashboard() -> dict:
    panels = [
        {
            "id": i + 1,
            "type": "timeseries",
            "title": title,
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "gridPos": {"h": 8, "w": 12, "x": 12 * (i % 2), "y": 8 * (i // 2)},
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "targets": [{"refId": "A", "expr": expr, "legendFormat": "__auto"}],
        }
        for i, (title, expr, unit) in enumerate(PANELS)
    ]
    return {
        "title": "SPS platform",
        "uid": "sps-platform",
        "schemaVersion": 39,
        "version": 1,
        "tags": ["sps"],
        "timezone": "Asia/Shanghai",
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus"}]},
        "panels": panels,
    }


def write(path: Path, docs: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "# Generated by deploy/k8s/generate.py (`make k8s`); edit the script, not this file.\n"
    path.write_text(header + yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True, width=120))


def files() -> dict[Path, list[dict]]:
    out: dict[Path, list[dict]] = {
        ROOT / "base" / "namespace.yaml": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}],
        ROOT / "kafka" / "kafka.yaml": kafka(),
        ROOT / "postgres" / "cluster.yaml": postgres(),
        ROOT / "monitoring" / "prometheus-adapter-rules.yaml": adapter_rules(),
    }
    for name in SERVICES:
        out[ROOT / "base" / f"{k8s_name(name)}.yaml"] = [deployment(name), service(name), pdb(name), hpa(name)]
    return out


def kustomizations() -> dict[Path, dict]:
    base = sorted(p.name for p in files() if p.parent.name == "base")
    kz = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"}
    return {
        ROOT / "base" / "kustomization.yaml": {**kz, "resources": base},
        ROOT / "kafka" / "kustomization.yaml": {**kz, "resources": ["kafka.yaml"]},
        ROOT / "postgres" / "kustomization.yaml": {**kz, "resources": ["cluster.yaml"]},
        ROOT / "monitoring" / "kustomization.yaml": {
            **kz,
            "resources": ["prometheus-adapter-rules.yaml"],
            "configMapGenerator": [
                {
                    "name": "sps-grafana-dashboard",
                    "namespace": NAMESPACE,
                    "files": ["sps-dashboard.json"],
                    "options": {"labels": {"grafana_dashboard": "1"}, "disableNameSuffixHash": True},
                }
            ],
        },
        ROOT / "overlays" / "production" / "kustomization.yaml": {
            **kz,
            "resources": ["../../base", "../../kafka", "../../postgres", "../../monitoring"],
        },
    }


def main() -> None:
    for path, docs in files().items():
        write(path, docs)
    for path, doc in kustomizations().items():
        write(path, [doc])
    DASHBOARD.write_text(json.dumps(dashboard(), indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {len(files()) + len(kustomizations()) + 1} files under {ROOT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
