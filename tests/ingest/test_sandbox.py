"""The sandbox: results and typed errors cross the fork; time and memory limits hold."""

import faulthandler
import os
import signal
import subprocess
import threading
import time

import pytest

from archive.ingest.errors import (
    DamagedFile,
    ExtractionMemory,
    ExtractionTimeout,
    PasswordProtected,
)
from archive.ingest.sandbox import run_sandboxed


def sandboxed(func, *args, timeout_s=5.0, memory_mb=256):
    return run_sandboxed(func, *args, filename="deck.pdf", timeout_s=timeout_s, memory_mb=memory_mb)


def test_result_comes_back():
    assert sandboxed(lambda a, b: {"sum": a + b}, 2, 3) == {"sum": 5}


def test_large_result_comes_back():
    assert len(sandboxed(lambda: "x" * 5_000_000)) == 5_000_000


def test_endless_loop_times_out_within_the_limit():
    started = time.monotonic()
    with pytest.raises(ExtractionTimeout, match="deck.pdf: extraction took longer than 0.5 s"):
        sandboxed(lambda: [None for _ in iter(int, 1)], timeout_s=0.5)
    assert time.monotonic() - started < 1.5


def test_allocating_2_gb_hits_the_memory_ceiling():
    with pytest.raises(ExtractionMemory, match="deck.pdf: extraction needed more than 256 MB"):
        sandboxed(lambda: len(bytearray(2 * 1024**3)))


def test_child_ingest_error_is_re_raised_with_its_message():
    def reject():
        raise PasswordProtected("deck.pdf", "password-protected PDF (it needs a password to open)")

    with pytest.raises(PasswordProtected) as caught:
        sandboxed(reject)
    assert str(caught.value) == "deck.pdf: password-protected PDF (it needs a password to open)"


def test_other_child_exception_becomes_damaged_file():
    def fail():
        raise KeyError("/Root")

    with pytest.raises(DamagedFile, match=r"deck.pdf: extraction failed \(KeyError: '/Root'\)"):
        sandboxed(fail)


def test_child_killed_by_a_signal_is_a_clear_error():
    def crash():
        faulthandler.disable()  # pytest's crash report would only be noise here
        os.kill(os.getpid(), signal.SIGSEGV)

    with pytest.raises(DamagedFile, match=r"the reader crashed on this file \(SIGSEGV\)"):
        sandboxed(crash)


def is_dead(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return "\nState:\tZ" in status.read()
    except FileNotFoundError:
        return True


def test_timeout_kills_the_whole_process_group(tmp_path):
    pid_file = tmp_path / "grandchild.pid"

    def spawn_and_hang():
        grandchild = subprocess.Popen(["sleep", "30"])
        pid_file.write_text(str(grandchild.pid))
        time.sleep(30)

    with pytest.raises(ExtractionTimeout):
        sandboxed(spawn_and_hang, timeout_s=1.0)
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 2
    while not is_dead(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert is_dead(grandchild)


def test_works_from_a_worker_thread():
    results = []
    worker = threading.Thread(target=lambda: results.append(sandboxed(lambda: os.getpid())))
    worker.start()
    worker.join(10)
    assert results and results[0] != os.getpid()


def test_child_exiting_without_a_result_is_a_clear_error():
    with pytest.raises(DamagedFile, match=r"extraction failed \(exit status 3\)"):
        sandboxed(lambda: os._exit(3))
