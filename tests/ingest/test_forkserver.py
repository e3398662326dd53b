"""The extraction fork server: children come from it, not from the worker; its death is
survived or reported clearly; nothing outlives a killed worker; no secret reaches a child."""

import os
import signal
import time
from pathlib import Path

import pytest

from archive.ingest.errors import ExtractionInterrupted
from archive.ingest.forkclient import fork_server, stop_fork_server
from archive.ingest.sandbox import run_sandboxed, stop_children


def sandboxed(func, *args, timeout_s=20.0):
    return run_sandboxed(func, *args, filename="deck.pdf", timeout_s=timeout_s, memory_mb=256)


def parent_pid():
    return os.getppid()


def environment_value(name):
    return os.environ.get(name)


def report_and_sleep(marker):
    Path(marker).write_text(f"{os.getppid()} {os.getpid()}")
    time.sleep(60)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_until(condition, seconds=10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def wait_for_marker(marker: Path) -> tuple[int, int]:
    assert wait_until(lambda: marker.exists() and marker.read_text()), "the task never started"
    server, child = map(int, marker.read_text().split())
    return server, child


def test_children_are_forked_by_the_lean_server_not_by_this_process():
    server = sandboxed(parent_pid)
    assert server != os.getpid()
    with open(f"/proc/{server}/cmdline", "rb") as cmdline:
        assert b"archive.ingest.forkserver" in cmdline.read()
    assert server == fork_server().pid


def test_a_server_killed_while_idle_is_started_again():
    first = sandboxed(parent_pid)
    os.kill(first, signal.SIGKILL)
    assert wait_until(lambda: not alive(first))
    second = sandboxed(parent_pid)
    assert second != first and alive(second)


def test_a_server_killed_during_a_file_is_a_clear_error_and_the_next_file_works(tmp_path):
    marker = tmp_path / "pids"
    sandboxed(parent_pid)  # a server and a child ready
    killer_pid = os.fork()
    if killer_pid == 0:  # kills the server as soon as the task has started
        try:
            if wait_until(lambda: marker.exists() and marker.read_text()):
                os.kill(int(marker.read_text().split()[0]), signal.SIGKILL)
        finally:
            os._exit(0)
    try:
        with pytest.raises(ExtractionInterrupted, match="deck.pdf: extraction was interrupted"):
            sandboxed(report_and_sleep, str(marker))
    finally:
        os.waitpid(killer_pid, 0)
    server, child = map(int, marker.read_text().split())
    assert wait_until(lambda: not alive(child))
    assert sandboxed(parent_pid) not in (server, os.getpid())


def test_nothing_outlives_a_worker_killed_mid_file(tmp_path):
    """SIGKILL of the worker: its fork server and the child at work die with it."""
    marker = tmp_path / "pids"
    worker = os.fork()
    if worker == 0:  # the "worker": its own server (a forked copy never uses its parent's)
        try:
            sandboxed(report_and_sleep, str(marker), timeout_s=120)
        finally:
            os._exit(0)
    server, child = wait_for_marker(marker)
    os.kill(worker, signal.SIGKILL)
    os.waitpid(worker, 0)
    try:
        assert wait_until(lambda: not alive(server), 5), "the fork server outlived its worker"
        assert wait_until(lambda: not alive(child), 5), "the child outlived its worker"
    finally:
        for pid in (server, child):
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_secrets_in_the_environment_never_reach_a_child(monkeypatch):
    stop_children()
    stop_fork_server()  # the next server starts with the environment below
    monkeypatch.setenv("ARCHIVE_SECRET_KEY", "do-not-leak")
    monkeypatch.setenv("PGPASSWORD", "do-not-leak")
    try:
        assert sandboxed(environment_value, "ARCHIVE_SECRET_KEY") is None
        assert sandboxed(environment_value, "PGPASSWORD") is None
        assert sandboxed(environment_value, "PATH") == os.environ["PATH"]
    finally:
        stop_children()
        stop_fork_server()


def test_stopping_the_server_stops_its_children():
    child = sandboxed(os.getpid)
    stop_fork_server()
    assert wait_until(lambda: not alive(child), 5)
    assert sandboxed(parent_pid) == fork_server().pid  # and a new one serves the next file
