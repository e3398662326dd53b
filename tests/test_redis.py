"""The switch to Redis: the task queue and the sign-in limits shared between processes.

Runs against a real redis-server on a free port (installed by the test command); skips
when the binary is absent.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest

from archive import accounts, ingest, tasks
from archive.catalogue import EventDetails, create_event
from archive.extensions import db
from archive.models import Item
from archive.services import current_storage
from tests.conftest import PASSWORD, Auth, make_app

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server not installed"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    port = free_port()
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


def test_tasks_go_through_redis(tmp_path, redis_url, make_pdf):
    app = make_app(tmp_path, QUEUE_IMMEDIATE=False, QUEUE_URL=redis_url)
    with app.app_context():
        event = create_event("e-1", EventDetails(title="E"))
        with make_pdf([["via redis"]]).open("rb") as stream:
            item = ingest.accept_file(
                current_storage(), stream, "r.pdf", event, None, ingest.ItemFields()
            ).item
        db.session.commit()
        tasks.enqueue_processing(item.id)
        huey = tasks.queue()
        assert type(huey).__name__ == "PriorityRedisHuey" and huey.pending_count() == 1
        huey.execute(huey.dequeue())
        db.session.expire_all()
        assert db.session.get(Item, item.id).status == "ready"
        huey.storage.flush_all()
        huey.storage.conn.close()


def test_sign_in_limits_are_shared_between_web_processes(tmp_path, redis_url):
    settings = {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": redis_url,
        "LOGIN_LIMIT": "3 per 15 minutes",
    }
    first = make_app(tmp_path / "a", **settings).test_client()
    second = make_app(tmp_path / "b", **settings).test_client()
    for client in (first, second, first):
        assert Auth(client).login("mallory", "wrong").status_code == 401
    assert Auth(second).login("mallory", "wrong").status_code == 429


def test_redis_limits_are_per_pair_and_a_success_clears_the_pair(tmp_path, redis_url):
    app = make_app(
        tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=redis_url,
        LOGIN_LIMIT="3 per 15 minutes", LOGIN_ACCOUNT_LIMIT="6 per 15 minutes",
    )  # fmt: skip
    with app.app_context():
        accounts.create_user("alice", PASSWORD, "researcher")
        db.session.commit()
    client = app.test_client()
    elsewhere = {"REMOTE_ADDR": "203.0.113.9"}
    assert [Auth(client).login("alice", "wrong").status_code for _ in range(5)] == [401] * 3 + [
        429
    ] * 2
    assert Auth(client).login("alice", environ_base=elsewhere).status_code == 302
    Auth(client).logout()
    assert Auth(client).login("alice", "wrong", environ_base=elsewhere).status_code == 401
    app.extensions["archive.signin_limits"][0].redis.flushall()
