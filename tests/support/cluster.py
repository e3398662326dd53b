"""Two nodes serving one archive on this machine: the scale-out setup, run for real.

PostgreSQL (database and search index), Redis (the queue and the sign-in counters) and two
nodes, each a gunicorn web server and a queue worker with an instance folder and port of
its own, sharing the upload folder, exactly as two machines on a shared file system would.
Used by the cluster test, `bench/cluster.py` and `scripts/cluster.py`.

    with Cluster(tmp_path) as cluster:
        a, b = cluster.nodes
        a.client("staff").upload(...);  b.signed_in("researcher").get("/search/", q=...)
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from pathlib import Path

from tests.support.live import DEFAULT_ACCOUNTS, DEFAULT_EVENTS, Account, EventSpec, LiveStack
from tests.support.postgres import PostgresServer
from tests.support.redis import RedisServer

DATABASE = "archive"


class Cluster:
    """PostgreSQL, Redis and `nodes` LiveStacks sharing them; see the module docstring."""

    def __init__(
        self,
        root: Path,
        nodes: int = 2,
        accounts: Iterable[Account] = DEFAULT_ACCOUNTS,
        events: Iterable[EventSpec] = DEFAULT_EVENTS,
        web_workers: int = 2,
        queue_workers: int = 1,
        settings: dict[str, str] | None = None,
        postgres_root: Path | None = None,
    ):
        self.root = Path(root)
        self.postgres = PostgresServer(postgres_root)
        self.redis = RedisServer(self.root / "redis")
        self.shared = self.root / "shared"
        self.settings = dict(settings or {})
        self.nodes = [
            LiveStack(
                self.root / f"node-{chr(ord('a') + n)}",
                accounts,
                events,
                web_workers,
                queue_workers,
                self._node_settings(n),
            )  # fmt: skip
            for n in range(nodes)
        ]

    def _node_settings(self, n: int) -> dict[str, str]:
        """What the nodes share (URLs, uploads, the secret key) and what is their own."""
        node = self.root / f"node-{chr(ord('a') + n)}"
        return {
            "DATABASE_URL": "",  # filled in at start, when the server's port is known
            "SEARCH_BACKEND": "postgresql",
            "UPLOAD_DIR": str(self.shared / "uploads"),
            "INSTANCE_DIR": str(node / "instance"),
            "INDEX_DIR": str(node / "index"),
            "EXTRACT_TIMEOUT_S": "60",
            **self.settings,
        }

    def start(self) -> Cluster:
        """Start the servers, set up the database through the first node, start every node."""
        try:
            self.postgres.start()
            self.postgres.create_database(DATABASE)
            self.redis.start()
            key = secrets.token_hex(32)
            for node in self.nodes:
                node.env.update(
                    ARCHIVE_DATABASE_URL=self.postgres.url(DATABASE),
                    ARCHIVE_QUEUE_URL=self.redis.url,
                    ARCHIVE_RATELIMIT_STORAGE_URL=self.redis.url,
                    ARCHIVE_SECRET_KEY=key,
                )
            first, *others = self.nodes
            first.start()
            for node in others:
                node.accounts = first.accounts  # the same people, tokens and passwords
                node.start(prepare=False)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
        self.redis.stop()
        self.postgres.stop()

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
