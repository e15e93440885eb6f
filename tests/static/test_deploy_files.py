"""No Docker engine here: docker-compose.yml, the Dockerfile, the Makefile and CI are checked as files."""

from __future__ import annotations

import json
import re

import yaml

from shared.paths import REPO_ROOT
from tools.devstack.stack import SERVICES


def compose() -> dict:
    return yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_runs_every_service_with_its_port_and_the_variables_the_makefile_path_sets():
    doc = compose()
    services = doc["services"]
    assert {"kafka", "postgres"} <= services.keys()
    for name, port in SERVICES.items():
        svc = services[name]
        assert svc["command"] == ["python", "-m", f"services.{name}.main"]
        env = svc["environment"]
        # The same variables the devstack gives each service process (Stack.service_env).
        for var in (
            "KAFKA_BOOTSTRAP_SERVERS",
            "DATABASE_URL",
            "SPS_SERVICE_NAME",
            "SPS_HTTP_PORT",
            "SPS_HTTP_HOST",
            "SPS_ALERTING_URL",
            "SPS_SUPERVISION_URL",
            "SPS_RISK_URL",
            "SPS_HANDOVER_URL",
            "SPS_EXCHANGE_URL",
        ):
            assert var in env, f"{name} lacks {var}"
        assert env["SPS_SERVICE_NAME"] == name and env["SPS_HTTP_PORT"] == str(port)
        assert env["DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert {"kafka", "postgres"} <= set(svc["depends_on"])
    published = {p.split(":")[-1] for s in services.values() for p in s.get("ports", [])}
    assert {"8000", "8080"} <= published  # the contract's console and gateway
    assert services["kafka"]["image"].startswith("apache/kafka:4.")
    assert "broker,controller" in services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"]
    assert services["postgres"]["image"].startswith("postgres:")
    from shared.settings import ServiceSettings

    # One partition count everywhere: supervision's range assignment pairs partition i of every topic.
    assert services["kafka"]["environment"]["KAFKA_NUM_PARTITIONS"] == ServiceSettings().topic_partitions


def test_dockerfile_ships_what_the_services_import():
    text = (REPO_ROOT / "Dockerfile").read_text()
    copied = " ".join(line for line in text.splitlines() if line.startswith("COPY "))
    for part in ("shared", "services", "policy", "constraints.txt", "pyproject.toml"):
        assert part in copied.split(), part
    assert re.search(r"^USER\s+\w+", text, re.M), "the services must not run as root"
    # The console: built from the committed lockfile in its own stage, only its build shipped.
    assert "npm ci" in text and "package-lock.json" in text
    assert "COPY --from=console /console/dist ./services/command_centre/console/dist" in text
    ignored = (REPO_ROOT / ".dockerignore").read_text().split()
    assert "**/node_modules" in ignored and ".local" in ignored


def test_the_console_is_built_from_its_committed_lockfile_and_pins_every_version():
    console = REPO_ROOT / "services" / "command_centre" / "console"
    package = json.loads((console / "package.json").read_text())
    lock = json.loads((console / "package-lock.json").read_text())
    for deps in (package["dependencies"], package["devDependencies"]):
        for name, version in deps.items():
            assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} {version} is not pinned"
            assert lock["packages"][f"node_modules/{name}"]["version"] == version, name
    for name in ("vue", "element-plus", "echarts", "vue-i18n", "vue-router"):
        assert name in package["dependencies"], name
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert "npm ci" in makefile and re.search(r"^setup:.*\$\(CONSOLE_BUILT\)", makefile, re.M)
    # No CDN at run time: nothing the console loads names another host.
    for source in (console / "src").rglob("*"):
        if source.is_file():
            assert not re.search(r"https?://(?!127\.0\.0\.1)", source.read_text()), source


def test_makefile_has_the_contract_commands_and_ci_calls_make_test():
    makefile = (REPO_ROOT / "Makefile").read_text()
    for target in ("run", "up", "down", "test", "demo", "bench"):
        assert re.search(rf"^{target}:", makefile, re.M), target
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "set -euo pipefail" in ci


def test_runtime_files_are_ignored():
    ignored = (REPO_ROOT / ".gitignore").read_text().split()
    for path in (".local/", ".venv/", "__pycache__/"):
        assert path in ignored


def test_compose_kafka_takes_only_authenticated_clients_and_each_service_is_its_own_principal():
    import importlib.util

    from shared.kafka.access import service_principal

    services = compose()["services"]
    kafka = services["kafka"]["environment"]
    protocols = dict(pair.split(":") for pair in kafka["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    assert set(protocols.values()) == {"SASL_PLAINTEXT"}, "no listener without authentication"
    assert kafka["KAFKA_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
    assert kafka["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert "StandardAuthorizer" in kafka["KAFKA_AUTHORIZER_CLASS_NAME"]
    for name in SERVICES:
        env = services[name]["environment"]
        assert env["KAFKA_SASL_USERNAME"] == service_principal(name)
        assert env["KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT" and env["KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
        assert services[name]["depends_on"]["kafka-setup"] == {"condition": "service_completed_successfully"}
    # The setup script is the generator's output, from the same ACL table as make up's broker.
    spec = importlib.util.spec_from_file_location("compose_setup", REPO_ROOT / "deploy" / "kafka" / "compose_setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (REPO_ROOT / "deploy" / "kafka" / "compose-setup.sh").read_text() == module.render()
    script = module.render()
    assert "User:device-demo --operation Write --topic ingest.checkins.v1 --topic ingest.locations.v1 " in script
    assert "--entity-name sps-supervision" in script


def test_compose_services_connect_as_their_own_database_roles_made_by_the_init_script():
    import importlib.util

    from tools.devstack.pg_roles import migrator_role, runtime_role

    services = compose()["services"]
    for name in SERVICES:
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith(f"postgresql+asyncpg://{runtime_role(name)}:")
        assert env["SPS_MIGRATION_DATABASE_URL"].startswith(f"postgresql+asyncpg://{migrator_role(name)}:")
        assert "postgres:postgres@" not in env["DATABASE_URL"], "no service connects as the superuser"
    volumes = services["postgres"]["volumes"]
    assert "./deploy/postgres/init-roles.sh:/docker-entrypoint-initdb.d/10-sps-roles.sh:ro" in volumes
    spec = importlib.util.spec_from_file_location(
        "compose_roles", REPO_ROOT / "deploy" / "postgres" / "compose_roles.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (REPO_ROOT / "deploy" / "postgres" / "init-roles.sh").read_text() == module.render()


def test_compose_makes_service_keys_per_install_and_each_service_mounts_only_its_own():
    """N5 (docs/security.md): no key derived from a service's public name in docker-compose."""
    from shared.platform import SERVICES

    services = compose()["services"]
    assert services["service-keys"]["command"] == ["python", "-m", "shared.service_tokens", "keys-dir", "/keys"]
    for name in SERVICES:
        spec = services[name]
        assert spec["environment"]["SPS_SERVICE_KEYS_DIR"] == "/run/sps-keys"
        assert spec["depends_on"]["service-keys"] == {"condition": "service_completed_successfully"}
        (mount,) = [v for v in spec["volumes"] if v["source"] == "service-keys"]
        assert mount["volume"]["subpath"] == name and mount["read_only"] is True
        assert "SPS_SERVICE_SIGNING_KEY" not in spec["environment"]
