"""Run one file's extraction in a child process with a wall-clock limit and a memory ceiling.

Why `os.fork` (directly, or in our own fork server) rather than `multiprocessing`: we need the
child in its own process group (so a timeout kills everything it started), an address-space
limit set before any work, and no helper threads, queues or atexit handlers; a pipe and
`waitpid` do all of that.

`run_sandboxed` hands a task that can be pickled (module-level functions, as every extraction
task is) to this thread's reusable child (`archive.ingest.children`), forked by the lean fork
server (`archive.ingest.forkclient`), which has loaded pypdf, pypdfium2, Pillow and the
language model once and shares them copy-on-write. Any other task runs in a child forked
from this process for that call alone (`run_once`, here). Both kinds of child are set up and
report back the same way (`archive.ingest.forking`).

Safe to call from any thread of a worker, provided no other thread is inside pdfium or Pillow
at the moment of a `run_once` fork (the worker runs all extraction through here, so none is).
"""

from __future__ import annotations

import logging
import os
import pickle
import select
import signal
import time
from collections.abc import Callable
from typing import Any, TypeVar

from archive.ingest.children import reusable_child, stop_children
from archive.ingest.errors import ExtractionTimeout, describe_error
from archive.ingest.forking import (
    READ_CHUNK,
    capture,
    close_inherited_fds,
    die_with_parent,
    encode,
    interpret,
    reap,
    resident_mb,
    set_process_group,
    set_up_child,
    unpickle,
    write_all,
)

# stop_children stays part of this module's interface: bulk imports and tests call it here.
__all__ = ["run_once", "run_sandboxed", "stop_children"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


def run_sandboxed(
    func: Callable[..., T],
    *args: Any,
    filename: str,
    timeout_s: float,
    memory_mb: int,
) -> T:
    """Return `func(*args)` computed in a forked child, or raise the matching `IngestError`."""
    try:
        task = pickle.dumps((func, args), protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, AttributeError, TypeError):
        return run_once(func, *args, filename=filename, timeout_s=timeout_s, memory_mb=memory_mb)
    return reusable_child(memory_mb, filename).run(task, filename, timeout_s)


def run_once(
    func: Callable[..., T],
    *args: Any,
    filename: str,
    timeout_s: float,
    memory_mb: int,
) -> T:
    """`func(*args)` in a child forked for this call alone (for tasks that cannot be pickled)."""
    read_fd, write_fd = os.pipe()
    parent, parent_mb = os.getpid(), resident_mb()  # the child's start, at most
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        raise  # the machine is out of processes or memory: a worker problem, not the file's
    if pid == 0:  # child: never returns
        close_inherited_fds(keep={write_fd})
        run_child(func, args, memory_mb, write_fd, parent)
    os.close(write_fd)
    set_process_group(pid)
    started = time.monotonic()
    try:
        payload = read_until_eof(read_fd, started + timeout_s)
    except BaseException:  # e.g. KeyboardInterrupt in the worker: leave no child behind
        kill_group(pid)
        raise
    finally:
        os.close(read_fd)
    if payload is None:
        kill_group(pid)
        raise ExtractionTimeout(filename, f"extraction took longer than {timeout_s:g} s")
    status = reap(pid, parent_mb)
    logger.debug("sandboxed %s took %.3f s", filename, time.monotonic() - started)
    return interpret(unpickle(payload, status, filename, memory_mb), filename, memory_mb)


def run_child(
    func: Callable[..., Any], args: tuple[Any, ...], memory_mb: int, fd: int, parent: int
) -> None:
    """In the child: tie its life to `parent`, limit memory, run `func`, send a pickled
    outcome through `fd`, exit."""
    try:
        die_with_parent(parent)
        send(fd, call_and_capture(func, args, memory_mb))
    finally:
        os._exit(0)


def call_and_capture(
    func: Callable[..., Any], args: tuple[Any, ...], memory_mb: int
) -> tuple[Any, ...]:
    """Set the child up, run `func`, and describe its result or failure as a picklable tuple."""
    try:
        set_up_child(memory_mb)
    except BaseException as exc:  # noqa: BLE001
        return ("error", describe_error(exc))
    return capture(func, args)


def send(fd: int, outcome: Any) -> None:
    """Pickle the outcome and write all of it to the pipe."""
    write_all(fd, encode(outcome))


def read_until_eof(fd: int, deadline: float) -> bytes | None:
    """Read the pipe until the child closes it; None if the deadline passes first."""
    chunks: list[bytes] = []
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP)
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not poller.poll(remaining * 1000):
            return None
        chunk = os.read(fd, READ_CHUNK)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def kill_group(pid: int) -> None:
    """Kill the child's whole process group and reap the child."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
