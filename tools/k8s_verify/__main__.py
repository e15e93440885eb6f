"""`python -m tools.k8s_verify` (`make k8s-verify`): a real kube-apiserver and etcd on loopback,
then every object of `deploy/k8s/overlays/production` applied to it as a server-side dry run.

The namespace and the operators' CRDs are created for real first (a dry run of a namespaced
object needs its namespace, and of a custom resource its CRD). Each object is then sent alone, so
each gets its own answer: accepted, or the server's reason. With `--doc`, the table replaces the
block between the k8s-verify markers of that page."""

from __future__ import annotations

import base64
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import typer
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.paths import REPO_ROOT
from tools.devstack import procs
from tools.k8s_verify.binaries import (
    CLOUDNATIVE_PG,
    HOME,
    KUBERNETES,
    VerifyError,
    cnpg_crds,
    ensure_binaries,
    etcd,
    etcd_version,
)

OVERLAY = REPO_ROOT / "deploy" / "k8s" / "overlays" / "production"
ETCD_PORT, APISERVER_PORT = 23791, 26443
BEGIN, END = "<!-- k8s-verify:begin -->", "<!-- k8s-verify:end -->"
# Strimzi's kinds, installed without a schema (tools/k8s_verify/binaries.py says why).
STRIMZI = {"Kafka": "kafkas", "KafkaNodePool": "kafkanodepools", "KafkaTopic": "kafkatopics", "KafkaUser": "kafkausers"}

app = typer.Typer(add_completion=False)


@dataclass
class Verdict:
    kind: str
    name: str
    accepted: bool
    answer: str


class ApiServer:
    """etcd and kube-apiserver as child processes under .local/k8s/run, gone on exit."""

    def __init__(self, binaries: dict[str, Path]) -> None:
        self.binaries = binaries
        self.run = HOME / "run"
        self.token = base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip("=")
        self.procs: list[subprocess.Popen] = []
        self.kubeconfig = self.run / "kubeconfig"

    def _start(self, name: str, args: list[str]) -> None:
        log = open(self.run / f"{name}.log", "wb")
        self.procs.append(subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))

    def __enter__(self) -> ApiServer:
        import shutil

        for port in (ETCD_PORT, ETCD_PORT + 1, APISERVER_PORT):
            if procs.port_open("127.0.0.1", port):
                raise VerifyError(f"port {port} is taken: is another `make k8s-verify` running?")
        shutil.rmtree(self.run, ignore_errors=True)
        self.run.mkdir(parents=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (self.run / "sa.key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        (self.run / "tokens.csv").write_text(f"{self.token},sps-verify,sps-verify,system:masters\n")
        self._start(
            "etcd",
            [
                str(etcd()),
                f"--data-dir={self.run / 'etcd'}",
                f"--listen-client-urls=http://127.0.0.1:{ETCD_PORT}",
                f"--advertise-client-urls=http://127.0.0.1:{ETCD_PORT}",
                f"--listen-peer-urls=http://127.0.0.1:{ETCD_PORT + 1}",
            ],
        )
        self._start(
            "kube-apiserver",
            [
                str(self.binaries["kube-apiserver"]),
                f"--etcd-servers=http://127.0.0.1:{ETCD_PORT}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={APISERVER_PORT}",
                f"--cert-dir={self.run / 'certs'}",
                f"--token-auth-file={self.run / 'tokens.csv'}",
                "--authorization-mode=RBAC",
                "--service-account-issuer=https://kubernetes.default.svc",
                f"--service-account-key-file={self.run / 'sa.key'}",
                f"--service-account-signing-key-file={self.run / 'sa.key'}",
                "--service-cluster-ip-range=10.96.0.0/16",
                "--endpoint-reconciler-type=none",  # its own endpoint would be 127.0.0.1, which Endpoints refuse
            ],
        )
        self.kubeconfig.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [
                        {
                            "name": "verify",
                            "cluster": {
                                "server": f"https://127.0.0.1:{APISERVER_PORT}",
                                "insecure-skip-tls-verify": True,
                            },
                        }
                    ],
                    "users": [{"name": "verify", "user": {"token": self.token}}],
                    "contexts": [{"name": "verify", "context": {"cluster": "verify", "user": "verify"}}],
                    "current-context": "verify",
                }
            )
        )
        self._wait_ready()
        return self

    def _wait_ready(self, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        last = ""
        with httpx.Client(verify=False, timeout=2) as client:
            while time.monotonic() < deadline:
                for p, name in zip(self.procs, ("etcd", "kube-apiserver"), strict=True):
                    if p.poll() is not None:
                        raise VerifyError(f"{name} exited: {(self.run / f'{name}.log').read_text()[-3000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    answer = client.get(
                        f"https://127.0.0.1:{APISERVER_PORT}/readyz", headers={"Authorization": f"Bearer {self.token}"}
                    )
                    last = f"{answer.status_code} {answer.text[:300]}"
                    if answer.status_code == 200:
                        return
                time.sleep(0.5)
        raise VerifyError(f"kube-apiserver not ready after {timeout_s:.0f}s: {last}")

    def __exit__(self, *exc: object) -> None:
        for p in reversed(self.procs):
            procs.stop_pid(p.pid, timeout_s=10)

    def kubectl(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(self.binaries["kubectl"]), f"--kubeconfig={self.kubeconfig}", *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def must(self, *args: str, stdin: str | None = None) -> str:
        result = self.kubectl(*args, stdin=stdin)
        if result.returncode != 0:
            raise VerifyError(f"kubectl {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout


def strimzi_crd(kind: str, plural: str) -> dict:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.kafka.strimzi.io"},
        "spec": {
            "group": "kafka.strimzi.io",
            "scope": "Namespaced",
            "names": {"kind": kind, "plural": plural, "singular": kind.lower(), "listKind": f"{kind}List"},
            "versions": [
                {
                    "name": "v1beta2",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
                }
            ],
        },
    }


def objects(server: ApiServer) -> Iterator[dict]:
    """The production overlay as kustomize (kubectl's own) renders it."""
    yield from (doc for doc in yaml.safe_load_all(server.must("kustomize", str(OVERLAY))) if doc)


def verify(server: ApiServer, say) -> tuple[list[Verdict], list[Verdict]]:
    rendered = list(objects(server))
    for ns in (o for o in rendered if o["kind"] == "Namespace"):
        server.must("apply", "-f", "-", stdin=yaml.safe_dump(ns))
    crds = [yaml.safe_dump(strimzi_crd(k, p)) for k, p in STRIMZI.items()]
    crds += [path.read_text() for path in cnpg_crds()]
    server.must("apply", "--server-side", "-f", "-", stdin="\n---\n".join(crds))
    server.must("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
    verdicts = []
    for obj in rendered:
        name = f"{obj['metadata'].get('namespace', '')}/{obj['metadata']['name']}".lstrip("/")
        result = server.kubectl("apply", "--dry-run=server", "--server-side", "-f", "-", stdin=yaml.safe_dump(obj))
        answer = (result.stdout if result.returncode == 0 else result.stderr).strip().splitlines()
        verdict = Verdict(obj["kind"], name, result.returncode == 0, " ".join(answer)[:400])
        say(f"{'✓' if verdict.accepted else '✗'} {verdict.kind} {verdict.name}: {verdict.answer}")
        verdicts.append(verdict)
    return verdicts, check_controls(server, rendered, say)


def controls(rendered: list[dict]) -> list[tuple[str, dict]]:
    """Broken copies of real objects that the server must refuse: without them, "accepted" could
    mean the server checked nothing (a CRD without a schema, validation switched off)."""
    out = []
    cluster = next((o for o in rendered if o["kind"] == "Cluster"), None)
    if cluster is not None:  # CloudNativePG's schema: instances is an integer
        out.append(("Cluster.spec.instances as text", {**cluster, "spec": {**cluster["spec"], "instances": "three"}}))
    deployment = next((o for o in rendered if o["kind"] == "Deployment"), None)
    if deployment is not None:  # the API's own schema, strict field validation
        spec = {**deployment["spec"], "replicaz": 2}
        out.append(("Deployment with an unknown field", {**deployment, "spec": spec}))
    return out


def check_controls(server: ApiServer, rendered: list[dict], say) -> list[Verdict]:
    verdicts = []
    for what, obj in controls(rendered):
        result = server.kubectl("apply", "--dry-run=server", "--server-side", "-f", "-", stdin=yaml.safe_dump(obj))
        answer = " ".join((result.stderr or result.stdout).strip().splitlines())[:400]
        verdict = Verdict(obj["kind"], what, result.returncode != 0, answer)
        say(f"{'✓ refused' if verdict.accepted else '✗ NOT refused'} (control) {what}: {answer}")
        verdicts.append(verdict)
    return verdicts


def render(verdicts: list[Verdict], seconds: float, checks: list[Verdict]) -> str:
    accepted = sum(v.accepted for v in verdicts)
    lines = [
        BEGIN,
        f"`make k8s-verify` on {datetime.now(UTC).date().isoformat()}: kube-apiserver {KUBERNETES} (built from the "
        f"Go module proxy) on Debian's etcd {etcd_version()}, CloudNativePG's CRDs {CLOUDNATIVE_PG}, Strimzi's kinds "
        "without a "
        f"schema. {accepted} of {len(verdicts)} objects accepted as a server-side dry run, in {seconds:.0f} s.",
        "",
        "| kind | object | answer |",
        "| --- | --- | --- |",
    ]
    for v in verdicts:
        answer = v.answer.replace("|", "\\|") if not v.accepted else "accepted"
        lines.append(f"| {v.kind} | {v.name} | {answer} |")
    lines += ["", "Controls, broken on purpose, which the server must refuse:", ""]
    lines += [
        f"- {c.name}: {'refused' if c.accepted else 'NOT refused'}: `{c.answer.replace('`', '')[:300]}`" for c in checks
    ]
    lines.append(END)
    return "\n".join(lines)


@app.command()
def main(doc: Path | None = typer.Option(None, help="Write the table into this page, between the markers.")) -> None:
    started = time.monotonic()
    try:
        binaries = ensure_binaries(say=lambda m: print(f"· {m}", flush=True))
        with ApiServer(binaries) as server:
            print(f"· kube-apiserver {KUBERNETES} ready on 127.0.0.1:{APISERVER_PORT}", flush=True)
            verdicts, checks = verify(server, say=lambda m: print(m, flush=True))
    except VerifyError as exc:
        print(f"✗ {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    table = render(verdicts, time.monotonic() - started, checks)
    (HOME / "verify.md").write_text(table + "\n")
    if doc is not None:
        text = doc.read_text()
        if BEGIN not in text or END not in text:
            print(f"✗ {doc} has no {BEGIN} … {END} block", file=sys.stderr)
            raise typer.Exit(2)
        head, rest = text.split(BEGIN, 1)
        doc.write_text(head + table + rest.split(END, 1)[1])
    refused = [v for v in verdicts if not v.accepted]
    missed = [c for c in checks if not c.accepted]
    print(f"{len(verdicts) - len(refused)} of {len(verdicts)} accepted; the table is in {HOME / 'verify.md'}")
    if missed:
        print(f"✗ the server accepted broken objects: {', '.join(c.name for c in missed)}", file=sys.stderr)
    if refused or missed:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
