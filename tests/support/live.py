"""The production setup as real processes, for fault and load tests and for benchmarks.

`LiveStack(root)` gives the archive its own folders under `root` (through the `ARCHIVE_*`
variables, exactly as an operator would), then runs the documented commands: `flask db
upgrade`, `users create` (password on standard input), `users token`, `events create`,
`grants add`, `gunicorn -w 2 'archive:create_app()'` on a free port of 127.0.0.1 and
`flask worker -w 2` (process workers). It waits for readiness by polling and, on `stop()`
or leaving the `with` block, kills every process it started, including their children and
the extraction children that put themselves in process groups of their own: each service
runs in a session of its own, and everything in that session is killed.

    with LiveStack(tmp_path) as stack:
        staff = stack.client("staff")
        staff.upload("/api/v1/events/live/items", [("a.pdf", data)])
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from tests.support.web import WebClient

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FINAL_STATES = ("ready", "failed")


@dataclass
class Account:
    """A user of the live stack; the password and token are filled in at setup."""

    username: str
    role: str
    org: str | None = None
    password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    token: str | None = None


@dataclass
class EventSpec:
    slug: str
    title: str
    granted_to: tuple[str, ...] = ()
    start: str | None = None  # YYYY-MM-DD


DEFAULT_ACCOUNTS = (
    Account("staff", "staff"),
    Account("researcher", "researcher"),
    Account("partner", "partner", org="UNDP"),
)
DEFAULT_EVENTS = (EventSpec("live", "Live test workshop", granted_to=("UNDP",)),)


class StackError(RuntimeError):
    """A service did not start, or a setup command failed; the message quotes its log."""


class LiveStack:
    """gunicorn and a queue worker on a private set of folders; see the module docstring."""

    def __init__(
        self,
        root: Path,
        accounts: Iterable[Account] = DEFAULT_ACCOUNTS,
        events: Iterable[EventSpec] = DEFAULT_EVENTS,
        web_workers: int = 2,
        queue_workers: int = 2,
        settings: dict[str, str] | None = None,
    ):
        self.root = Path(root)
        self.accounts = {a.username: a for a in (Account(**vars(a)) for a in accounts)}
        self.events = list(events)
        self.web_workers = web_workers
        self.queue_workers = queue_workers
        self.logs = self.root / "logs"
        self.env = self._environment(settings or {})
        self.port: int | None = None
        self.web: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.worker_log: Path | None = None
        self._sessions: list[int] = []
        self._worker_starts = 0

    # ------------------------------------------------------------------ set-up

    def _environment(self, settings: dict[str, str]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHIVE_", "FLASK_"))}
        env.update(
            PYTHONUNBUFFERED="1",
            ARCHIVE_INSTANCE_DIR=str(self.root / "instance"),
            ARCHIVE_UPLOAD_DIR=str(self.root / "uploads"),
            ARCHIVE_INDEX_DIR=str(self.root / "index"),
            ARCHIVE_SECRET_KEY=secrets.token_hex(32),
            # Every simulated user signs in from 127.0.0.1: keep the limiter on, but roomy.
            ARCHIVE_LOGIN_LIMIT="100000 per minute",
            # Text recognition has its own tests (tests/test_ocr.py); here it would only add
            # Tesseract runs to the timings of the fault and load tests. settings= can turn it on.
            ARCHIVE_OCR="off",
            ARCHIVE_LOGIN_ACCOUNT_LIMIT="100000 per minute",
            ARCHIVE_LOGIN_ADDRESS_LIMIT="100000 per minute",
        )
        env.update({f"ARCHIVE_{k}": str(v) for k, v in settings.items()})
        return env

    @property
    def instance_dir(self) -> Path:
        return Path(self.env["ARCHIVE_INSTANCE_DIR"])

    @property
    def upload_dir(self) -> Path:
        return Path(self.env["ARCHIVE_UPLOAD_DIR"])

    @property
    def index_dir(self) -> Path:
        return Path(self.env["ARCHIVE_INDEX_DIR"])

    @property
    def database(self) -> Path:
        return self.instance_dir / "archive.db"

    @property
    def database_url(self) -> str | None:
        """ARCHIVE_DATABASE_URL when the stack runs on a database server (PostgreSQL)."""
        return self.env.get("ARCHIVE_DATABASE_URL")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def flask(self, *args: str, stdin: str | None = None, timeout: float = 600) -> str:
        """Run `flask --app archive ARGS` with the stack's environment; return its output."""
        command = [sys.executable, "-m", "flask", "--app", "archive", *map(str, args)]
        done = subprocess.run(
            command,
            cwd=REPO,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise StackError(
                f"flask {' '.join(map(str, args))} exited {done.returncode}:\n"
                f"{done.stdout[-2000:]}{done.stderr[-4000:]}"
            )
        return done.stdout

    def prepare(self) -> None:
        """Create the database, accounts (with tokens), events and grants."""
        self.logs.mkdir(parents=True, exist_ok=True)
        self.flask("db", "upgrade")
        # Each command is a process that spends a second importing the app: run them side by
        # side, one chain per account and per event (grants need the partner's organisation).
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(self._create_account, self.accounts.values()))
            list(pool.map(self._create_event, self.events))

    def _create_account(self, account: Account) -> None:
        org = ["--org", account.org] if account.org else []
        self.flask("users", "create", account.username, "--role", account.role, *org,
                   stdin=account.password + "\n")  # fmt: skip
        account.token = self.flask("users", "token", account.username).strip()

    def _create_event(self, event: EventSpec) -> None:
        dates = ["--start", event.start, "--end", event.start] if event.start else []
        self.flask("events", "create", event.slug, "--title", event.title, *dates)
        for org in event.granted_to:
            self.flask("grants", "add", event.slug, org)

    # ------------------------------------------------------------------ processes

    def start(self, prepare: bool = True) -> LiveStack:
        """Set up (unless another stack on the same database did), then start the web server
        and the worker and wait until both are ready."""
        try:
            if prepare:
                self.prepare()
            else:
                self.logs.mkdir(parents=True, exist_ok=True)
            self.start_web()
            self.start_worker()
        except BaseException:
            self.stop()
            raise
        return self

    def __enter__(self) -> LiveStack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _spawn(self, command: list[str], log: Path) -> subprocess.Popen:
        with open(log, "ab") as out:
            process = subprocess.Popen(
                command,
                cwd=REPO,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own session and process group
            )
        self._sessions.append(process.pid)
        return process

    def start_web(self, attempts: int = 3) -> None:
        """gunicorn on a free port; a port taken meanwhile is retried with another."""
        for _ in range(attempts):
            self.port = free_port()
            command = [
                str(BIN / "gunicorn"),
                "-w",
                str(self.web_workers),
                "-b",
                f"127.0.0.1:{self.port}",
                "--graceful-timeout",
                "5",
                "archive:create_app()",
            ]
            self.web = self._spawn(command, self.logs / "web.log")
            if self._wait_web_ready(timeout=60):
                return
            kill_session(self.web.pid)
            self.web.wait()
        raise StackError(f"gunicorn did not start:\n{tail(self.logs / 'web.log')}")

    def start_serve(self) -> None:
        """The default start command's server instead: `flask serve` (gunicorn with its
        default web workers, and a queue worker), as `sh scripts/start.sh` runs it."""
        self.port = free_port()
        command = [sys.executable, "-m", "flask", "--app", "archive", "serve"]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        self.web = self._spawn(command, self.logs / "serve.log")
        if not self._wait_web_ready(timeout=60):
            raise StackError(f"flask serve did not start:\n{tail(self.logs / 'serve.log')}")

    def _wait_web_ready(self, timeout: float) -> bool:
        client = WebClient(self.url, timeout=5)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.web.poll() is not None:
                return False
            try:
                if client.request("GET", "/login").status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.1)
        raise StackError(f"gunicorn not ready after {timeout} s:\n{tail(self.logs / 'web.log')}")

    def start_worker(self, timeout: float = 60) -> None:
        """`flask worker -w N` (process workers); ready once it has re-queued unfinished
        items and starts consuming."""
        self._worker_starts += 1
        self.worker_log = self.logs / f"worker-{self._worker_starts}.log"
        command = [sys.executable, "-m", "flask", "--app", "archive", "worker"]
        command += ["-w", str(self.queue_workers)]
        self.worker = self._spawn(command, self.worker_log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.worker.poll() is not None:
                raise StackError(f"worker exited at start:\n{tail(self.worker_log)}")
            if b"worker: " in self.worker_log.read_bytes():
                return
            time.sleep(0.1)
        raise StackError(f"worker not ready after {timeout} s:\n{tail(self.worker_log)}")

    def extraction_children(self) -> list[int]:
        """The worker's sandboxed extraction processes (in process groups of their own)."""
        sid = self.worker.pid
        return [pid for pid in session_pids(sid) if process_group(pid) not in (sid, None)]

    def kill_worker(self) -> None:
        """SIGKILL the worker's process group (the consumer and its worker processes), as
        an out-of-memory kill or a power cut would; extraction children in groups of their
        own are left to notice on their own."""
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait()

    def stop(self) -> None:
        """Stop everything started here: SIGTERM, a grace period, then SIGKILL for whatever
        is left in each service's session (children included). Safe to call twice."""
        for sid in self._sessions:
            signal_session(sid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(session_pids(s) for s in self._sessions):
            for process in (self.web, self.worker):
                if process is not None:
                    process.poll()  # reap, so that a finished leader is not a zombie
            time.sleep(0.1)
        for sid in self._sessions:
            kill_session(sid)
        for process in (self.web, self.worker):
            if process is not None:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass

    # ------------------------------------------------------------------ helpers

    def client(self, username: str | None = None, timeout: float = 60.0) -> WebClient:
        """A client carrying `username`'s API token (None: anonymous)."""
        token = self.accounts[username].token if username else None
        return WebClient(self.url, token=token, timeout=timeout)

    def signed_in(self, username: str) -> WebClient:
        """A client with a browser session for `username` (signed in through /login)."""
        client = self.client(username)
        response = client.login(username, self.accounts[username].password)
        if response.status != 302:
            raise StackError(f"sign-in of {username} answered {response.status}")
        return client

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Read the stack's database directly (SQLite or PostgreSQL; `?` placeholders), for
        assertions."""
        if self.database_url:
            dsn = self.database_url.replace("postgresql+psycopg://", "postgresql://", 1)
            with psycopg.connect(dsn, autocommit=True) as conn:
                return conn.execute(sql.replace("?", "%s"), params).fetchall()
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=30) as conn:
            return conn.execute(sql, params).fetchall()

    def item_states(self, item_ids: Iterable[int]) -> dict[int, str]:
        ids = list(item_ids)
        marks = ",".join("?" * len(ids))
        rows = self.query(f"SELECT id, status FROM items WHERE id IN ({marks})", tuple(ids))  # noqa: S608
        return dict(rows)

    def wait_for_items(self, item_ids: Iterable[int], timeout: float) -> dict[int, str]:
        """Poll until every item has settled (failed, or ready and indexed: an item is ready
        a moment before its pages are searchable) or the time is up; return the states."""
        ids = list(item_ids)
        deadline = time.monotonic() + timeout
        while True:
            states = self.item_states(ids) if ids else {}
            done = all(states.get(i) in FINAL_STATES for i in ids)
            if done and not self.unindexed(ids) or time.monotonic() > deadline:
                return states
            time.sleep(0.25)

    def unindexed(self, item_ids: list[int]) -> list[int]:
        """Those of `item_ids` that are ready but not indexed yet."""
        marks = ",".join("?" * len(item_ids))
        sql = f"SELECT id FROM items WHERE status = 'ready' AND indexed_at IS NULL AND id IN ({marks})"  # noqa: S608, E501
        return [i for (i,) in self.query(sql, tuple(item_ids))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def session_pids(sid: int) -> list[int]:
    """Live processes whose session id is `sid` (read from /proc; zombies excluded)."""
    pids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if fields[0] != b"Z" and int(fields[3]) == sid:
            pids.append(int(entry.name))
    return pids


def process_group(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def signal_session(sid: int, signum: int) -> None:
    for pid in session_pids(sid):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass


def kill_session(sid: int) -> None:
    """SIGKILL every process of the session until none is left (new children included)."""
    for _ in range(50):
        pids = session_pids(sid)
        if not pids:
            return
        signal_session(sid, signal.SIGKILL)
        time.sleep(0.05)


def tail(path: Path, size: int = 4000) -> str:
    try:
        return path.read_bytes()[-size:].decode("utf-8", "replace")
    except OSError:
        return f"({path} not written)"
