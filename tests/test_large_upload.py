"""A file over the size limit gets a readable 413 over a real HTTP connection, not a reset."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gunicorn(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "ARCHIVE_INSTANCE_DIR": str(tmp_path / "instance"),
        "ARCHIVE_UPLOAD_DIR": str(tmp_path / "uploads"),
        "ARCHIVE_INDEX_DIR": str(tmp_path / "index"),
        "ARCHIVE_MAX_UPLOAD_MB": "1",
    }
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [str(bin_dir / "flask"), "--app", "archive", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    proc = subprocess.Popen(
        [str(bin_dir / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}", "archive:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield port
    proc.terminate()
    proc.wait(timeout=10)


def test_oversized_upload_receives_the_413_page(gunicorn):
    body = b"x" * (8 * 1024 * 1024)
    conn = http.client.HTTPConnection("127.0.0.1", gunicorn, timeout=30)
    conn.request(
        "POST",
        "/login",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    response = conn.getresponse()
    html = response.read().decode()
    conn.close()
    assert response.status == 413
    assert "larger than the limit of 1 MB" in html
