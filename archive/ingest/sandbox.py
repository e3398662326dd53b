"""Run one file's extraction in a forked child with a wall-clock limit and a memory ceiling.

Why `os.fork` directly rather than `multiprocessing`: we need the child in its own process group
(so a timeout kills everything it started), an address-space limit set before any work, and
no helper threads, queues or atexit handlers; a pipe and `waitpid` do all of that in ~60
lines. Fork is cheap because the parent has already imported pypdf, pypdfium2, Pillow and the
language model, which the child shares copy-on-write.

The child dies with its parent (Linux `PR_SET_PDEATHSIG`): the time limit is enforced by the
parent, so a child orphaned by a killed worker would otherwise run on unbounded, on a
pathological file for ever, beside the restarted worker that processes the same file again.

The memory ceiling is headroom: RLIMIT_AS is set to the address space the child inherited at
fork time plus `memory_mb`, because a long-running worker (threads, arenas, loaded libraries)
may already map more than any fixed absolute limit would allow.

Safe to call from any thread of a worker, provided no other thread is inside pdfium or Pillow
at the moment of the fork (the worker runs all extraction through here, so none is).
"""

from __future__ import annotations

import ctypes
import logging
import os
import pickle
import resource
import select
import signal
import time
from collections.abc import Callable
from typing import Any, TypeVar

from archive.ingest.errors import (
    ERRORS_BY_CODE,
    DamagedFile,
    ExtractionMemory,
    ExtractionTimeout,
    IngestError,
    describe_error,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
MIB = 1024 * 1024
READ_CHUNK = 1 << 16
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def run_sandboxed(
    func: Callable[..., T],
    *args: Any,
    filename: str,
    timeout_s: float,
    memory_mb: int,
) -> T:
    """Return `func(*args)` computed in a forked child, or raise the matching `IngestError`."""
    read_fd, write_fd = os.pipe()
    parent = os.getpid()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        raise  # the machine is out of processes or memory: a worker problem, not the file's
    if pid == 0:  # child: never returns
        os.close(read_fd)
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
    _, status = os.waitpid(pid, 0)
    logger.debug("sandboxed %s took %.3f s", filename, time.monotonic() - started)
    return interpret(payload, status, filename, memory_mb)


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


def die_with_parent(parent: int) -> None:
    """Ask the kernel to SIGKILL this process when its parent dies; exit at once if it
    already has (between the fork and this call)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the parent's timeout is all there is
        return
    if os.getppid() != parent:
        os._exit(1)


def call_and_capture(
    func: Callable[..., Any], args: tuple[Any, ...], memory_mb: int
) -> tuple[Any, ...]:
    """Set the child up, run `func`, and describe its result or failure as a picklable tuple."""
    try:
        set_process_group(0)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        limit_address_space(memory_mb)
        return ("ok", func(*args))
    except IngestError as exc:
        return ("ingest-error", exc.code, exc.filename, exc.reason)
    except MemoryError:
        return ("memory",)
    except BaseException as exc:  # noqa: BLE001 - anything else is reported, not lost
        return ("error", describe_error(exc))


def send(fd: int, outcome: tuple[Any, ...]) -> None:
    """Pickle the outcome and write all of it to the pipe."""
    try:
        data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        data = pickle.dumps(("memory",))
    except Exception as exc:  # noqa: BLE001 - an unpicklable result is a bug worth naming
        data = pickle.dumps(("error", f"result could not be sent ({describe_error(exc)})"))
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def set_process_group(pid: int) -> None:
    """Put the child in its own process group (called by both sides to avoid a race)."""
    try:
        os.setpgid(pid, pid if pid else 0)
    except OSError:
        pass  # the child already did it, or has already exited


def limit_address_space(memory_mb: int) -> None:
    """Allow `memory_mb` MiB of address space on top of what the child inherited."""
    with open("/proc/self/statm") as statm:
        current = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = current + memory_mb * MIB
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


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


def interpret(payload: bytes, status: int, filename: str, memory_mb: int) -> Any:
    """Turn the child's pickled outcome (or its death) into a result or an `IngestError`."""
    try:
        outcome = pickle.loads(payload)  # noqa: S301 - written by our own forked child
    except (pickle.UnpicklingError, EOFError, ValueError):  # nothing, or cut short by a kill
        raise died_without_result(status, filename, memory_mb) from None
    kind = outcome[0]
    if kind == "ok":
        return outcome[1]
    if kind == "ingest-error":
        _, code, name, reason = outcome
        raise ERRORS_BY_CODE.get(code, IngestError)(name, reason)
    if kind == "memory":
        raise ExtractionMemory(filename, f"extraction needed more than {memory_mb} MB of memory")
    raise DamagedFile(filename, f"extraction failed ({outcome[1]})")


def died_without_result(status: int, filename: str, memory_mb: int) -> IngestError:
    """Explain a child that exited without sending anything."""
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        name = signal.Signals(signum).name
        if signum == signal.SIGKILL:
            return ExtractionMemory(
                filename, "extraction was killed by the system (out of memory?)"
            )
        return DamagedFile(
            filename,
            f"the reader crashed on this file ({name}); it is damaged or needs more than "
            f"{memory_mb} MB of memory",
        )
    return DamagedFile(
        filename, f"extraction failed (exit status {os.waitstatus_to_exitcode(status)})"
    )
