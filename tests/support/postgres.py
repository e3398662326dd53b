"""A throwaway PostgreSQL server for tests, benchmarks and the local cluster.

Debian's `postgresql` package installs `initdb` and `pg_ctl` under
/usr/lib/postgresql/<version>/bin and a `postgres` system user. PostgreSQL refuses to run as
root, so when we are root every server command runs as that user (`runuser -u postgres`),
in a folder it owns; any other user runs them directly. The server listens on 127.0.0.1 on a
free port and on a Unix socket in its own folder, trusts local connections (it is private to
this machine and this run) and skips fsync: it holds nothing that must survive a power cut.

    with PostgresServer() as server:
        server.create_database("archive")
        url = server.url("archive")      # postgresql+psycopg://postgres@127.0.0.1:PORT/archive
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql

SUPERUSER = "postgres"
SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "300",
    "shared_buffers": "'256MB'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "log_min_messages": "warning",
    "logging_collector": "off",
}


class PostgresError(RuntimeError):
    """The server could not be found, set up or started; the message says what to do."""


def binaries() -> Path:
    """The folder holding initdb and pg_ctl: on PATH, else Debian's newest version."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parent.parent.name),
    )
    if not versions:
        raise PostgresError(
            "PostgreSQL is not installed (no initdb): apt-get install postgresql postgresql-contrib"
        )
    return Path(versions[-1]).parent


def available() -> bool:
    """Whether a server can be started here (initdb exists, and a non-root runner)."""
    try:
        binaries()
    except PostgresError:
        return False
    return os.geteuid() != 0 or _has_user(SUPERUSER)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """One private PostgreSQL server; `root` keeps its data (else a temporary folder)."""

    def __init__(self, root: Path | None = None, port: int | None = None):
        self.bin = binaries()
        self.temporary = root is None
        self.root = Path(root) if root else Path(tempfile.mkdtemp(prefix="archive-pg-"))
        self.data = self.root / "data"
        self.port = port or free_port()
        self.as_postgres = os.geteuid() == 0

    # ------------------------------------------------------------------ life cycle

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", SUPERUSER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
        if check and done.returncode != 0:
            raise PostgresError(f"{args[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
        return done

    def _prepare_folder(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.as_postgres:
            entry = pwd.getpwnam(SUPERUSER)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
            os.chmod(self.root, 0o700)
            probe = ["runuser", "-u", SUPERUSER, "--", "test", "-w", str(self.root)]
            if subprocess.run(probe, check=False).returncode != 0:
                raise PostgresError(
                    f"the postgres user cannot write to {self.root} (a parent folder is closed "
                    "to it); choose a folder under /tmp or /var/lib/postgresql"
                )

    def initdb(self) -> None:
        """Create the cluster (once): UTF-8 with a real locale, so that the text search
        parser knows letters from punctuation beyond ASCII."""
        if (self.data / "PG_VERSION").exists():
            return
        self._prepare_folder()
        self._run(
            "initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        settings = dict(SERVER_SETTINGS, unix_socket_directories=f"'{self.root}'")
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\n# workshop-archive test server\n")
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

    def start(self) -> PostgresServer:
        """initdb if needed, then start on the port and wait until it accepts connections."""
        self.initdb()
        log = self.root / "server.log"
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(log), "-w", "-t", "60",
            "-o", f"-p {self.port}", "start",
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(self.dsn("postgres"), connect_timeout=2).close()
                return self
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise PostgresError(f"server on port {self.port} not ready: {exc}") from exc
                time.sleep(0.1)

    def stop(self) -> None:
        """Stop the server (fast shutdown); remove its folder if it was temporary."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)
        if self.temporary:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------------ databases

    def dsn(self, database: str) -> str:
        """A libpq connection string (for psycopg and the search backend)."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def url(self, database: str) -> str:
        """An SQLAlchemy URL (ARCHIVE_DATABASE_URL)."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def execute(self, statement, database: str = "postgres") -> None:
        with psycopg.connect(self.dsn(database), autocommit=True) as conn:
            conn.execute(statement)

    def create_database(self, name: str, template: str | None = None) -> str:
        """CREATE DATABASE `name` (a copy of `template` if given); returns its URL."""
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        self.execute(statement)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """DROP DATABASE, ending any connection still open to it."""
        self.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def wait_for_backend_exit(dsn: str, pid: int, timeout: float = 10.0) -> None:
    """Wait until the server has ended backend `pid` and dropped its locks.

    A client that closes its connection or is killed returns at once, but its backend
    notices and exits a moment later: until then its session locks are still held. Raises
    if the backend outlives `timeout` (its locks would then really be stuck)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(dsn, autocommit=True) as conn:
        while conn.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = %(pid)s)"
            " OR EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %(pid)s)",
            {"pid": pid},
        ).fetchone()[0]:
            if time.monotonic() > deadline:
                raise PostgresError(f"backend {pid} still running after {timeout:.0f} s")
            time.sleep(0.02)
