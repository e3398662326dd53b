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

A child is reused for many files (up to MAX_TASKS_PER_CHILD), one at a time, when the task
can be pickled (module-level functions, as the extraction pipelines are): a fresh child per
file cost 20-40 ms of copy-on-write faults and first-use set-up (pdfium's font tables), about
half the CPU of text extraction on slide decks. Each file still gets the full time limit and
the memory ceiling; a child that timed out, crashed, ran out of memory or grew by more than a
quarter of its headroom is replaced, so one file's trouble never reaches the next.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import pickle
import resource
import select
import signal
import struct
import threading
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
    try:
        task = pickle.dumps((func, args), protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, AttributeError, TypeError):
        return run_once(func, *args, filename=filename, timeout_s=timeout_s, memory_mb=memory_mb)
    return reusable_child(memory_mb).run(task, filename, timeout_s)


def run_once(
    func: Callable[..., T],
    *args: Any,
    filename: str,
    timeout_s: float,
    memory_mb: int,
) -> T:
    """`func(*args)` in a child forked for this call alone (for tasks that cannot be pickled)."""
    read_fd, write_fd = os.pipe()
    parent = os.getpid()
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
    _, status = os.waitpid(pid, 0)
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


def call_and_capture(
    func: Callable[..., Any], args: tuple[Any, ...], memory_mb: int
) -> tuple[Any, ...]:
    """Set the child up, run `func`, and describe its result or failure as a picklable tuple."""
    try:
        set_up_child(memory_mb)
    except BaseException as exc:  # noqa: BLE001
        return ("error", describe_error(exc))
    return capture(func, args)


def set_up_child(memory_mb: int) -> None:
    """Own process group, default signal handling, and the memory ceiling."""
    set_process_group(0)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    limit_address_space(memory_mb)


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


def send(fd: int, outcome: Any) -> None:
    """Pickle the outcome and write all of it to the pipe."""
    write_all(fd, encode(outcome))


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


def address_space() -> int:
    """Bytes of address space this process maps now."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


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


# A child reused for many files ------------------------------------------------------------

MAX_TASKS_PER_CHILD = 50
GROWTH_FRACTION = 0.25  # of memory_mb: a child that grew more is replaced after its task
HEADER = struct.Struct(">Q")
_children = threading.local()  # this thread's children, by memory ceiling
_started: list[ReusableChild] = []  # every child this process started and has not reaped
_started_lock = threading.Lock()


def reusable_child(memory_mb: int) -> ReusableChild:
    """This thread's child for this memory ceiling, started (again) when needed. A child
    inherited through a fork of this process belongs to the parent and is never used."""
    reap_abandoned()
    pool = _children.__dict__.setdefault("by_memory", {})
    child = pool.get(memory_mb)
    if child is None or not child.usable():
        pool[memory_mb] = child = ReusableChild(memory_mb)
        with _started_lock:
            _started.append(child)
    return child


def reap_abandoned() -> None:
    """Reap children whose thread has ended (the kernel killed them with it) or that stopped."""
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
    """A forked child that runs pickled tasks one at a time, each under the time limit."""

    def __init__(self, memory_mb: int):
        self.memory_mb = memory_mb
        self.owner = os.getpid()
        self.thread = threading.current_thread()
        task_read, task_write = os.pipe()
        result_read, result_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: never returns
            close_inherited_fds(keep={task_read, result_write})
            serve_tasks(task_read, result_write, memory_mb, self.owner)
        os.close(task_read)
        os.close(result_write)
        set_process_group(pid)
        self.pid, self.tasks, self.results = pid, task_write, result_read
        self.alive = True

    def usable(self) -> bool:
        return self.alive and self.owner == os.getpid()

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
            raise died_without_result(status, filename, self.memory_mb)
        outcome, retiring = unpickle(frame, 0, filename, self.memory_mb)
        if retiring:
            self.stop(kill=False)
        return interpret(outcome, filename, self.memory_mb)

    def stop(self, kill: bool) -> int:
        """Close the pipes and reap the child (killing its process group first if asked)."""
        self.alive = False
        for fd in (self.tasks, self.results):
            with contextlib.suppress(OSError):
                os.close(fd)
        if kill:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
        _, status = os.waitpid(self.pid, 0)
        return status


def serve_tasks(tasks: int, results: int, memory_mb: int, parent: int) -> None:
    """In the child: run tasks until told to stop, worn out, or grown too large; exit."""
    try:
        die_with_parent(parent)
        set_up_child(memory_mb)
        baseline = address_space()
        for served in range(1, MAX_TASKS_PER_CHILD + 1):
            frame = read_frame(tasks, None)
            if not frame:
                break
            func, args = pickle.loads(frame)  # noqa: S301 - written by our own parent
            outcome = capture(func, args)
            grown = address_space() - baseline > GROWTH_FRACTION * memory_mb * MIB
            retiring = served == MAX_TASKS_PER_CHILD or outcome[0] == "memory" or grown
            reply = encode((outcome, retiring))
            write_all(results, HEADER.pack(len(reply)) + reply)
            if retiring:
                break
    finally:
        os._exit(0)


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
