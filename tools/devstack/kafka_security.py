"""SASL/SCRAM and ACLs on the embedded broker (contract §6.1).

Clients authenticate with SCRAM-SHA-512 on the client listener; the controller quorum with PLAIN
on its own loopback listener. The broker's passwords and every service's are made once, at
random, and kept in `<kafka home>/credentials.json` (mode 0600, git-ignored with `.local/`);
the demo principals keep the contract's passwords. `provision` makes the broker's principals and
ACLs exactly the table of shared/kafka/access.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
from pathlib import Path

from shared.kafka.access import (
    ADMIN_PRINCIPAL,
    BROKER_PRINCIPAL,
    CONTROLLER_PRINCIPAL,
    DEMO_PASSWORDS,
    SERVICES,
    acl_bindings,
    platform_access,
    service_principal,
)
from shared.kafka.connection import KafkaAuth
from shared.paths import LOCAL_DIR, REPO_ROOT
from tools.devstack.private_files import kept_secrets

PROVISION_SOURCE = REPO_ROOT / "deploy" / "kafka" / "Provision.java"
MECHANISM = "SCRAM-SHA-512"


class Credentials:
    """The embedded broker's principals and their passwords."""

    def __init__(self, path: Path) -> None:
        self.path = path
        wanted = [BROKER_PRINCIPAL, CONTROLLER_PRINCIPAL, ADMIN_PRINCIPAL, *map(service_principal, SERVICES)]
        # [A-Za-z0-9_-]: safe in a JAAS line
        self.passwords = kept_secrets(path, wanted, lambda: secrets.token_urlsafe(24))

    def auth(self, principal: str) -> KafkaAuth:
        password = DEMO_PASSWORDS.get(principal) or self.passwords[principal]
        return KafkaAuth("SASL_PLAINTEXT", MECHANISM, principal, password)

    def broker_properties(self) -> dict[str, str]:
        broker, controller = self.passwords[BROKER_PRINCIPAL], self.passwords[CONTROLLER_PRINCIPAL]
        scram = "org.apache.kafka.common.security.scram.ScramLoginModule"
        plain = "org.apache.kafka.common.security.plain.PlainLoginModule"
        return {
            "listener.security.protocol.map": "CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
            "inter.broker.listener.name": "CLIENT",
            "sasl.enabled.mechanisms": MECHANISM,
            "sasl.mechanism.inter.broker.protocol": MECHANISM,
            "listener.name.client.sasl.enabled.mechanisms": MECHANISM,
            "listener.name.client.scram-sha-512.sasl.jaas.config": (
                f'{scram} required username="{BROKER_PRINCIPAL}" password="{broker}";'
            ),
            # SCRAM credentials live in the metadata log, which the quorum serves: the controller
            # listener cannot use them, so it has one static PLAIN principal.
            "sasl.mechanism.controller.protocol": "PLAIN",
            "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
            "listener.name.controller.plain.sasl.jaas.config": (
                f'{plain} required username="{CONTROLLER_PRINCIPAL}" password="{controller}" '
                f'user_{CONTROLLER_PRINCIPAL}="{controller}";'
            ),
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "super.users": f"User:{BROKER_PRINCIPAL};User:{CONTROLLER_PRINCIPAL}",
            "allow.everyone.if.no.acl.found": "false",
        }

    def format_args(self) -> list[str]:
        """The broker's own SCRAM credential, written into the metadata log when it is formatted:
        brokers authenticate to each other with it before any admin call could add it."""
        return ["--add-scram", f"{MECHANISM}=[name={BROKER_PRINCIPAL},password={self.passwords[BROKER_PRINCIPAL]}]"]

    def service_environ(self, service: str) -> dict[str, str]:
        return self.auth(service_principal(service)).environ()

    def operator_auth(self, *, demo: bool) -> KafkaAuth:
        """Who the devstack's own process and its tools are: `ops-demo` in demo mode."""
        return self.auth("ops-demo" if demo else ADMIN_PRINCIPAL)


def _compiled(libs: Path) -> Path:
    """Provision.java compiled once per version of its source."""
    out = LOCAL_DIR / "kafka" / "provision"
    digest = hashlib.sha256(PROVISION_SOURCE.read_bytes()).hexdigest()
    marker = out / ".source"
    if marker.exists() and marker.read_text() == digest:
        return out
    out.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["javac", "-cp", f"{libs}/*", "-d", str(out), str(PROVISION_SOURCE)], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"compiling {PROVISION_SOURCE.name} failed:\n{result.stderr[-3000:]}")
    marker.write_text(digest)
    return out


def provision(bootstrap: str, credentials: Credentials, libs: Path, *, demo: bool) -> str:
    """Make the broker's principals and ACLs the table's; return the tool's summary line."""
    accesses = platform_access(demo=demo)
    users = {a.principal: DEMO_PASSWORDS.get(a.principal) or credentials.passwords[a.principal] for a in accesses}
    removed = [] if demo else sorted(DEMO_PASSWORDS)
    spec = {
        "bootstrap": bootstrap,
        "username": BROKER_PRINCIPAL,
        "password": credentials.passwords[BROKER_PRINCIPAL],
        "users": users,
        "remove_users": removed,
        "acls": [vars(b) for a in accesses for b in acl_bindings(a)],
    }
    classes = _compiled(libs)
    result = subprocess.run(
        ["java", "-Xmx128m", "-cp", f"{classes}:{libs}/*", "Provision"],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"provisioning Kafka principals and ACLs failed:\n{result.stderr[-3000:]}")
    return result.stdout.strip()


def use_local_principal(root: Path = LOCAL_DIR) -> None:
    """A tool run beside `make up` talks to its broker as the operators' principal, unless the
    environment names a principal (or another cluster) already."""
    path = root / "kafka" / "credentials.json"
    if os.environ.get("KAFKA_SASL_USERNAME") or os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or not path.exists():
        return
    os.environ.update(Credentials(path).auth(ADMIN_PRINCIPAL).environ())
