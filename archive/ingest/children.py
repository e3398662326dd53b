"""Reusable sandbox children: one per thread and memory ceiling, each serving many files.

A child is reused for many files (up to MAX_TASKS_PER_CHILD), one at a time, when the task
can be pickled (module-level functions, as the extraction pipelines are): a fresh child per
file cost 20-40 ms of copy-on-write faults and first-use set-up (pdfium's font tables), about
half the CPU of text extraction on slide decks. Each file still gets the full time limit and
the memory ceiling; a child that timed out, crashed, ran out of memory or grew by more than a
quarter of its headroom is replaced, so one file's trouble never reaches the next.

Children are forked by the lean fork server (`archive.ingest.forkclient`), not by this
process: they start at the server's size, not the worker's, and see none of its memory.
Tasks and outcomes cross two pipes as length-prefixed pickles.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

from archive.ingest.errors import ExtractionInterrupted, ExtractionTimeout
from archive.ingest.forkclient import ForkServer, ServerGone, fork_server
from archive.ingest.forking import (
    MIB,
    READ_CHUNK,
    address_space,
    capture,
    die_with_parent,
    died_without_result,
    encode,
    interpret,
    log_peak,
    resident_mb,
    set_up_child,
    unpickle,
    write_all,
)

MAX_TASKS_PER_CHILD = 50
GROWTH_FRACTION = 0.25  # of memory_mb: a child that grew more is replaced after its task
HEADER = struct.Struct(">Q")
_children = threading.local()  # this thread's children, by memory ceiling
_started: list[ReusableChild] = []  # every child this process started and has not reaped
_started_lock = threading.Lock()


def reusable_child(memory_mb: int, filename: str) -> ReusableChild:
    """This thread's child for this memory ceiling, started (again) when needed. A child
    inherited through a fork of this process belongs to the parent and is never used."""
    reap_abandoned()
    pool = _children.__dict__.setdefault("by_memory", {})
    child = pool.get(memory_mb)
    if child is None or not child.usable():
        if child is not None:
            stop_children(lambda c: c is child)
        pool[memory_mb] = child = start_child(memory_mb, filename)
        with _started_lock:
            _started.append(child)
    return child


def start_child(memory_mb: int, filename: str) -> ReusableChild:
    """A new child from the fork server; a server found dead is started again once."""
    gone = None
    for _ in range(2):
        try:
            return ReusableChild(memory_mb, fork_server())
        except ServerGone as exc:
            gone = exc
    raise ExtractionInterrupted(filename, f"no extraction process: {gone}")


def reap_abandoned() -> None:
    """Stop children whose thread has ended or that stopped."""
    stop_children(lambda child: not (child.alive and child.thread.is_alive()))


def stop_children(which: Callable[[ReusableChild], bool] = lambda child: True) -> None:
    """Stop and reap this process's reusable children (all of them by default), e.g. at the
    end of a bulk import, so that no idle child outlives the work."""
    with _started_lock:
        mine = [c for c in _started if c.owner == os.getpid() and which(c)]
        for child in mine:
            _started.remove(child)
    for child in mine:
        if child.alive:
            child.stop(kill=True)


class ReusableChild:
    """A child of the fork server that runs pickled tasks one at a time, each under the
    time limit."""

    def __init__(self, memory_mb: int, server: ForkServer):
        self.memory_mb = memory_mb
        self.owner = os.getpid()
        self.thread = threading.current_thread()
        self.server = server
        task_read, task_write = os.pipe()
        result_read, result_write = os.pipe()
        try:
            self.pid = server.fork(memory_mb, (task_read, result_write))
        except BaseException:
            for fd in (task_write, result_read):
                os.close(fd)
            raise
        finally:
            os.close(task_read)
            os.close(result_write)
        self.tasks, self.results = task_write, result_read
        self.start_mb = 0.0  # until the child says what it started with
        self.alive = True

    def usable(self) -> bool:
        return self.alive and self.owner == os.getpid() and self.server.running()

    def run(self, task: bytes, filename: str, timeout_s: float) -> Any:
        """Send one task and wait for its outcome; the child is dropped unless it is fine."""
        deadline = time.monotonic() + timeout_s
        try:
            write_all(self.tasks, HEADER.pack(len(task)) + task)
            frame = read_frame(self.results, deadline)
        except BrokenPipeError:
            frame = b""  # the child was gone before it read the task
        except BaseException:  # e.g. KeyboardInterrupt in the worker: leave no child behind
            self.stop(kill=True)
            raise
        if frame is None:
            self.stop(kill=True)
            raise ExtractionTimeout(filename, f"extraction took longer than {timeout_s:g} s")
        if not frame:
            status = self.stop(kill=False)
            if status is None:
                raise ExtractionInterrupted(
                    filename, "extraction was interrupted: the extraction process stopped"
                )
            raise died_without_result(status, filename, self.memory_mb)
        outcome, retiring, self.start_mb = unpickle(frame, 0, filename, self.memory_mb)
        if retiring:
            self.stop(kill=False)
        return interpret(outcome, filename, self.memory_mb)

    def stop(self, kill: bool) -> int | None:
        """Close the pipes and have the server reap the child (killing its process group
        first if asked); its exit status, or None when the server is gone with it."""
        self.alive = False
        for fd in (self.tasks, self.results):
            with contextlib.suppress(OSError):
                os.close(fd)
        if not self.server.running():
            return None  # the child died with the server (and its pid may be reused)
        if kill:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
        try:
            status, peak_mb = self.server.reap(self.pid)
        except ServerGone:
            return None
        log_peak(self.pid, peak_mb, self.start_mb)
        return status


def serve_tasks(tasks: int, results: int, memory_mb: int, parent: int) -> None:
    """In the child: run tasks until told to stop, worn out, or grown too large; exit."""
    try:
        die_with_parent(parent)
        set_up_child(memory_mb)
        baseline, start_mb = address_space(), resident_mb()
        for served in range(1, MAX_TASKS_PER_CHILD + 1):
            frame = read_frame(tasks, None)
            if not frame:
                break
            outcome = capture(run_pickled, (frame,))
            grown = address_space() - baseline > GROWTH_FRACTION * memory_mb * MIB
            retiring = served == MAX_TASKS_PER_CHILD or outcome[0] == "memory" or grown
            reply = encode((outcome, retiring, start_mb))
            write_all(results, HEADER.pack(len(reply)) + reply)
            if retiring:
                break
    finally:
        os._exit(0)


def run_pickled(task: bytes) -> Any:
    """Unpickle a task and run it (a task whose module cannot be imported here fails as
    the task, with its reason)."""
    func, args = pickle.loads(task)  # noqa: S301 - written by our own worker
    return func(*args)


def read_frame(fd: int, deadline: float | None) -> bytes | None:
    """One length-prefixed frame; b"" at end of file, None when the deadline passes."""
    header = read_exactly(fd, HEADER.size, deadline)
    if not header:
        return header
    return read_exactly(fd, HEADER.unpack(header)[0], deadline)


def read_exactly(fd: int, size: int, deadline: float | None) -> bytes | None:
    chunks, missing = [], size
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP)
    while missing:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not poller.poll(remaining * 1000):
                return None
        chunk = os.read(fd, min(missing, READ_CHUNK))
        if not chunk:
            return b""
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)
