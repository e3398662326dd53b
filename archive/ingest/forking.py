"""What every sandbox child shares: how a forked child is set up, and the outcome it reports.

Set-up: the child closes the descriptors it inherited, dies with its parent (Linux
`PR_SET_PDEATHSIG`), takes a process group of its own and a memory ceiling. The time limit is
enforced by the parent, so a child orphaned by a killed worker would otherwise run on
unbounded, on a pathological file for ever, beside the restarted worker that processes the
same file again.

The memory ceiling is headroom: RLIMIT_AS is set to the address space the child inherited at
fork time plus `memory_mb`, because a long-running worker (threads, arenas, loaded libraries)
may already map more than any fixed absolute limit would allow.

Outcome: the child describes its result or failure as a picklable tuple; the parent turns it
back into the result or the matching `IngestError`, or explains a child that died silently.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import pickle
import resource
import signal
from collections.abc import Callable
from typing import Any

from archive.ingest.errors import (
    ERRORS_BY_CODE,
    DamagedFile,
    ExtractionMemory,
    IngestError,
    describe_error,
)

logger = logging.getLogger(__name__)

MIB = 1024 * 1024
READ_CHUNK = 1 << 16
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


# ---------------------------------------------------------------------------- in the child


def close_inherited_fds(keep: set[int]) -> None:
    """Close every descriptor the child inherited except stdio and `keep`.

    A child that lives on must not hold the parent's files: an inherited copy of the search
    index's lock file keeps its flock held, a copy of a pipe to another program (a browser
    driver, a client connection) keeps that program from ever seeing end of file.
    """
    for fd in sorted({int(name) for name in os.listdir("/proc/self/fd")} - keep):
        if fd > 2:
            with contextlib.suppress(OSError):
                os.close(fd)


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


def set_up_child(memory_mb: int) -> None:
    """Own process group, default signal handling, and the memory ceiling."""
    set_process_group(0)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    limit_address_space(memory_mb)


def set_process_group(pid: int) -> None:
    """Put the child in its own process group (called by both sides to avoid a race)."""
    try:
        os.setpgid(pid, pid if pid else 0)
    except OSError:
        pass  # the child already did it, or has already exited


def limit_address_space(memory_mb: int) -> None:
    """Allow `memory_mb` MiB of address space on top of what the child inherited."""
    limit = address_space() + memory_mb * MIB
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def resident_mb() -> float:
    """MiB of this process's memory resident now (what a child forked now starts with)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MIB


def reap(pid: int, start_mb: float) -> int:
    """Wait for a child of this process and log its peak RSS (`log_peak`)."""
    _, status, usage = os.wait4(pid, 0)
    log_peak(pid, usage.ru_maxrss / 1024, start_mb)
    return status


def log_peak(pid: int, peak_mb: float, start_mb: float) -> None:
    """Log a reaped child's peak RSS beside its RSS at start (a forked child's RSS counts
    the pages it shares with the process it was forked from: the difference is what its
    files added)."""
    logger.info(
        "extraction child %d: peak RSS %.0f MB, %.0f MB at start (inherited from its parent)",
        pid, peak_mb, start_mb, extra={"child_peak_mb": peak_mb, "start_mb": start_mb},
    )  # fmt: skip


def address_space() -> int:
    """Bytes of address space this process maps now."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def capture(func: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Run `func` and describe its result or failure as a picklable tuple."""
    try:
        return ("ok", func(*args))
    except IngestError as exc:
        return ("ingest-error", exc.code, exc.filename, exc.reason)
    except MemoryError:
        return ("memory",)
    except BaseException as exc:  # noqa: BLE001 - anything else is reported, not lost
        return ("error", describe_error(exc))


def encode(outcome: Any) -> bytes:
    try:
        return pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        return pickle.dumps(("memory",))
    except Exception as exc:  # noqa: BLE001 - an unpicklable result is a bug worth naming
        return pickle.dumps(("error", f"result could not be sent ({describe_error(exc)})"))


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


# ---------------------------------------------------------------------------- in the parent


def unpickle(payload: bytes, status: int, filename: str, memory_mb: int) -> tuple[Any, ...]:
    """The child's outcome tuple, or the error its death means."""
    try:
        return pickle.loads(payload)  # noqa: S301 - written by our own forked child
    except (pickle.UnpicklingError, EOFError, ValueError):  # nothing, or cut short by a kill
        raise died_without_result(status, filename, memory_mb) from None


def interpret(outcome: tuple[Any, ...], filename: str, memory_mb: int) -> Any:
    """Turn the child's outcome into a result or an `IngestError`."""
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
