"""Durable file writes and advisory locks: the one copy of code that several modules need.

Stdlib only, so that the self-contained packages (`archive.fulltext`) may use it too.

- `atomic_write` puts a whole file in place or nothing: readers see the old content or the
  new, never a half-written file, and the rename survives a crash (the folder is fsynced).
- `try_lock` / `wait_for_lock` take an `flock`, which the kernel drops when its holder dies,
  so a killed process can never leave a lock behind.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class LockTimeout(TimeoutError):
    """Another process held a lock for longer than the caller was willing to wait."""


def fsync_dir(folder: str | os.PathLike[str]) -> None:
    """Make a rename durable: fsync the folder that holds the new name."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike[str], data: bytes, mode: int = 0o600) -> None:
    """Write `data` to `path` through a temporary file in the same folder and a rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), mode)
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def replace_durably(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Rename a finished file into place and fsync the folder that now holds it."""
    os.replace(source, target)
    fsync_dir(Path(target).parent)


@contextmanager
def try_lock(path: str | os.PathLike[str]) -> Iterator[bool]:
    """Try to take an exclusive lock on `path` without waiting; yields whether it was taken."""
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def wait_for_lock(path: str | os.PathLike[str], timeout: float) -> Iterator[None]:
    """Take an exclusive lock on `path`, polling with back-off; `LockTimeout` after `timeout`.

    Polling rather than a blocking `flock` keeps the wait bounded and interruptible.
    """
    with open(path, "a+b") as handle:
        deadline = time.monotonic() + timeout
        delay = 0.005
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LockTimeout(f"{path} stayed locked for {timeout:.0f} s") from None
                time.sleep(delay)
                delay = min(delay * 2, 0.1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def is_locked(path: str | os.PathLike[str]) -> bool:
    """Whether another process holds the lock on `path` right now."""
    with try_lock(path) as taken:
        return not taken
