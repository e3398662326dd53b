"""The worker's side of the extraction fork server (`archive.ingest.forkserver`).

Reusable extraction children are not forked from the worker: a worker (or `flask import`)
holds 200-300 MB of application, database and index state, and a child forked from it starts
that large, pays copy-on-write faults on it, and can read every secret in it. They are forked
by a lean server process instead, started here on first use by executing Python afresh (so it
inherits nothing of this process's heap), which loads only the extraction libraries and the
language model.

One server per process, shared by its threads (one request at a time, under a lock), over a
Unix SEQPACKET socket pair. Requests: FORK (with the child's two pipe ends passed as
descriptors) answers the child's pid; WAIT reaps a child and answers its exit status, peak
RSS and CPU. A child stays a zombie of the server until this side asks for it, so killing
its process group by pid from here can never hit a reused pid.

Lifetimes: the server exits, killing its children's process groups, as soon as its socket
reads end of file, i.e. when this process dies, however it dies (it is not tied to the
thread that started it, as PR_SET_PDEATHSIG would tie it). Its children die with it
(PR_SET_PDEATHSIG in `forking.die_with_parent`). A server found dead is started again on the
next request; a child lost with it is reported by `children` as an interrupted extraction.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import socket
import struct
import subprocess
import sys
import threading

REQUEST = struct.Struct(">cQ")  # operation, argument (memory headroom in MiB, or a pid)
REPLY = struct.Struct(">qqdd")  # pid or exit status, peak RSS in KiB, user and system CPU s
FORK, WAIT = b"F", b"W"
START_TIMEOUT_S = 120.0  # importing pdfium, pypdf, Pillow and the model: ~1.5 s on a quiet core
ANSWER_TIMEOUT_S = 60.0  # a fork or a reap of a child already dead or killed takes milliseconds
# What the extraction code never needs and a hostile file must not find in its environment.
SECRET_NAMES = re.compile(r"^ARCHIVE_|SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL", re.IGNORECASE)

_server: ForkServer | None = None
_server_lock = threading.Lock()


class ServerGone(Exception):
    """The fork server died, could not start or stopped answering."""


class ForkServer:
    """A running fork server and the socket to it."""

    def __init__(self) -> None:
        self.owner = os.getpid()
        self.lock = threading.Lock()
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with theirs:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "archive.ingest.forkserver", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                env=server_environment(),
            )
        self.socket = mine
        self.pid = self.process.pid
        self.dead = False
        try:
            self.receive(START_TIMEOUT_S)  # "ready", sent once everything is loaded
        except ServerGone as exc:
            self.stop()
            raise ServerGone(f"the extraction server could not start ({exc})") from None

    def running(self) -> bool:
        return not self.dead and self.process.poll() is None

    def fork(self, memory_mb: int, fds: tuple[int, int]) -> int:
        """Start a reusable child holding `fds` (its task and result pipe ends); its pid."""
        with self.lock:
            self.send(REQUEST.pack(FORK, memory_mb), fds)
            pid, *_ = self.receive(ANSWER_TIMEOUT_S)
        if pid < 0:
            raise OSError(-pid, os.strerror(-pid))  # the server could not fork
        return pid

    def reap(self, pid: int) -> tuple[int, float]:
        """Wait for a child of the server: its exit status and peak RSS in MB."""
        with self.lock:
            self.send(REQUEST.pack(WAIT, pid), ())
            status, peak_kib, *_ = self.receive(ANSWER_TIMEOUT_S)
        return status, peak_kib / 1024

    def send(self, message: bytes, fds: tuple[int, ...]) -> None:
        try:
            socket.send_fds(self.socket, [message], list(fds))
        except OSError as exc:
            self.dead = True
            raise ServerGone(f"it stopped ({self.exit_status()})") from exc

    def receive(self, timeout_s: float) -> tuple[int, int, float, float]:
        self.socket.settimeout(timeout_s)
        try:
            answer = self.socket.recv(REPLY.size)
        except TimeoutError:
            self.stop()
            raise ServerGone(f"it did not answer within {timeout_s:g} s") from None
        except OSError:
            answer = b""
        if len(answer) != REPLY.size:
            self.dead = True
            raise ServerGone(f"it stopped ({self.exit_status()})")
        return REPLY.unpack(answer)

    def exit_status(self) -> str:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(1)
        code = self.process.returncode
        if code is None:
            return "still running"
        return f"killed by signal {-code}" if code < 0 else f"exit status {code}"

    def cpu_seconds(self) -> float:
        """CPU of the server and of every child it has reaped (from /proc; 0 when gone)."""
        try:
            with open(f"/proc/{self.pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """Close the socket (the server then kills its children and exits) and reap it."""
        self.dead = True
        self.socket.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def server_environment() -> dict[str, str]:
    """This process's environment without secrets, and its module search path (so that
    tasks from any module this process can import can be unpickled in the server)."""
    env = {name: value for name, value in os.environ.items() if not SECRET_NAMES.search(name)}
    env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(entry or ".") for entry in sys.path)
    return env


def fork_server() -> ForkServer:
    """This process's fork server, started (again) when there is none or it died. A server
    inherited through a fork of this process belongs to the parent and is never used."""
    global _server
    with _server_lock:
        if _server is not None and _server.owner == os.getpid() and not _server.running():
            _server.stop()
        if _server is None or _server.owner != os.getpid() or _server.dead:
            _server = ForkServer()
        return _server


def stop_fork_server() -> None:
    """Stop this process's fork server, if it started one."""
    global _server
    with _server_lock:
        if _server is not None and _server.owner == os.getpid():
            _server.stop()
        _server = None


def fork_server_cpu_seconds() -> float:
    """CPU seconds of this process's fork server and the children it reaped (benchmarks
    add this to their own: extraction children are not this process's children)."""
    server = _server
    return server.cpu_seconds() if server is not None and server.owner == os.getpid() else 0.0


atexit.register(stop_fork_server)
