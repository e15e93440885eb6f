"""What the verification runs on, from this machine's registries only:

- kube-apiserver and kubectl built from `k8s.io/kubernetes` on the Go module proxy, at a pinned
  version. That module's go.mod points its `k8s.io/*` libraries at `./staging/`, which its zip
  does not carry; they are pointed at the same version's published modules instead.
- etcd from Debian's `etcd-server` (the Makefile installs it).
- CloudNativePG's CRDs from its Go module, which carries them (`config/crd/bases/`).

Strimzi publishes its CRDs in no registry this machine reaches (its Maven `api` jar builds CRDs
without schemas; its repository has no Go module versions), so its kinds are installed without a
schema: the server checks their identity and metadata, deploy/k8s/schemas their fields.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from shared.paths import LOCAL_DIR

KUBERNETES = "v1.34.4"
CLOUDNATIVE_PG = "v1.27.0"
HOME = LOCAL_DIR / "k8s"
BIN = HOME / "bin"
TOOLS = ("kube-apiserver", "kubectl")


class VerifyError(RuntimeError):
    pass


def _go(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    if shutil.which("go") is None:
        raise VerifyError("`go` is not on PATH: kube-apiserver is built from the Go module proxy")
    result = subprocess.run(["go", *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if result.returncode != 0:
        raise VerifyError(f"go {' '.join(args)} failed:\n{result.stdout[-2000:]}{result.stderr[-4000:]}")
    return result.stdout


def module_dir(path: str, version: str) -> Path:
    """A module's files from the Go module proxy (its cache is read-only)."""
    info = json.loads(_go("mod", "download", "-json", f"{path}@{version}", cwd=HOME))
    if info.get("Error"):
        raise VerifyError(f"{path}@{version}: {info['Error']}")
    return Path(info["Dir"])


def _source() -> Path:
    """k8s.io/kubernetes at KUBERNETES, writable, its staging libraries taken from the proxy."""
    src = HOME / f"kubernetes-{KUBERNETES}"
    marker = src / ".sps-ready"
    if marker.exists():
        return src
    if src.exists():
        shutil.rmtree(src)
    shutil.copytree(module_dir("k8s.io/kubernetes", KUBERNETES), src)
    for path in src.rglob("*"):
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | 0o200)
    library = KUBERNETES.replace("v1.", "v0.", 1)  # k8s.io/api v0.34.4 ships with Kubernetes v1.34.4
    gomod = src / "go.mod"
    text, n = re.subn(
        r"^(\s*)(k8s\.io/[\w.-]+) => \./staging/src/k8s\.io/[\w.-]+$",
        rf"\1\2 => \2 {library}",
        gomod.read_text(),
        flags=re.M,
    )
    if n == 0:
        raise VerifyError(f"{gomod}: no staging replacements found; has the module's layout changed?")
    gomod.write_text(text)
    (src / "go.work").unlink(missing_ok=True)
    (src / "go.work.sum").unlink(missing_ok=True)
    marker.write_text(KUBERNETES + "\n")
    return src


def ensure_binaries(say=print) -> dict[str, Path]:
    """kube-apiserver and kubectl at KUBERNETES, built once (a few minutes on two cores)."""
    HOME.mkdir(parents=True, exist_ok=True)
    (HOME / "go.mod").write_text("module sps.local/k8s-verify\n\ngo 1.24\n")
    wanted = {name: BIN / name for name in TOOLS}
    stamp = BIN / ".version"
    if stamp.exists() and stamp.read_text().strip() == KUBERNETES and all(p.exists() for p in wanted.values()):
        return wanted
    src = _source()
    major, minor = KUBERNETES.lstrip("v").split(".")[:2]
    ldflags = " ".join(
        f"-X {pkg}.{var}={value}"
        for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version")
        for var, value in (("gitVersion", KUBERNETES), ("gitMajor", major), ("gitMinor", minor))
    )
    BIN.mkdir(parents=True, exist_ok=True)
    for name, out in wanted.items():
        say(f"building {name} {KUBERNETES} from the Go module proxy (minutes, once)")
        _go(
            "build",
            "-ldflags",
            ldflags,
            "-o",
            str(out),
            f"./cmd/{name}",
            cwd=src,
            env={"GOWORK": "off", "GOFLAGS": "-mod=mod"},
        )
    stamp.write_text(KUBERNETES + "\n")
    return wanted


def etcd() -> Path:
    found = shutil.which("etcd")
    if found is None:
        raise VerifyError("etcd is not installed: `make k8s-verify` installs Debian's etcd-server")
    return Path(found)


def etcd_version() -> str:
    out = subprocess.run([str(etcd()), "--version"], capture_output=True, text=True).stdout
    found = re.search(r"etcd Version: (\S+)", out)
    return found.group(1) if found else "unknown"


def cnpg_crds() -> list[Path]:
    """CloudNativePG's own CRDs for the kinds deploy/k8s uses."""
    bases = module_dir("github.com/cloudnative-pg/cloudnative-pg", CLOUDNATIVE_PG) / "config" / "crd" / "bases"
    return [bases / "postgresql.cnpg.io_clusters.yaml", bases / "postgresql.cnpg.io_databases.yaml"]
