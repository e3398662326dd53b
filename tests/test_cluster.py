"""Two nodes, one archive, for real: PostgreSQL, Redis, two gunicorns and two workers.

20 decks are uploaded to node A while signed-in users search on node B; each deck must be
found on node B within seconds of being ready. Node A's worker is killed with SIGKILL in
the middle of the batch and node B's worker finishes its items. Afterwards nothing is lost
or indexed twice, `flask check` is clean on both nodes, and a backup taken on node B while
the uploads went on restores into an empty instance.
"""

from __future__ import annotations

import tarfile
import threading
import time
from pathlib import Path

import pytest

from tests.support import postgres, redis, samples
from tests.support.cluster import Cluster
from tests.support.live import LiveStack, session_pids

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (postgres.available() and redis.available()), reason="needs PostgreSQL and Redis"
    ),
]

DECKS = 20
PAGES = 8
FOUND_WITHIN_S = 10  # from "ready" (the API says so) to "found" by a search on node B


def marker(n: int) -> str:
    return f"zqxcluster{n:03d}"


class Searcher(threading.Thread):
    """A signed-in researcher on node B searching for every deck until told to stop; notes
    when each deck's marker is first found."""

    def __init__(self, node: LiveStack, item_ids: dict[int, int]):
        super().__init__(daemon=True)
        self.client = node.signed_in("researcher")
        self.item_ids = item_ids
        self.found: dict[int, float] = {}
        self.errors: list[str] = []
        self.searches = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for n, item_id in list(self.item_ids.items()):
                if n in self.found:
                    continue
                response = self.client.get("/search/", q=marker(n))
                self.searches += 1
                if response.status != 200:
                    self.errors.append(f"search {n}: {response.status}")
                elif f"/presentations/{item_id}" in response.text:
                    self.found[n] = time.monotonic()
            time.sleep(0.2)


def ready_times(node: LiveStack, item_ids: dict[int, int], timeout: float) -> dict[int, float]:
    """Poll the API until every deck is ready; when each was first seen ready."""
    client = node.client("staff")
    seen: dict[int, float] = {}
    deadline = time.monotonic() + timeout
    while len(seen) < len(item_ids) and time.monotonic() < deadline:
        for n, item_id in item_ids.items():
            if n not in seen and client.request("GET", f"/api/v1/items/{item_id}").json()[
                "state"
            ] in ("ready", "failed"):
                seen[n] = time.monotonic()
        time.sleep(0.2)
    return seen


def kill_when_busy(node: LiveStack, timeout: float = 60) -> list[int]:
    """SIGKILL the node's worker while it holds a claim; the items it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = {str(p) for p in session_pids(node.worker.pid)}
        rows = node.query("SELECT id, claimed_by FROM items WHERE status = 'processing'")
        mine = [i for i, by in rows if by and by.rsplit(":", 1)[-1] in pids]
        if mine:
            node.kill_worker()
            return mine
        time.sleep(0.05)
    raise AssertionError("node A's worker never claimed an item")


def test_two_nodes_share_one_archive(tmp_path: Path):
    with Cluster(tmp_path, settings={"WORKER_LEASE_S": "6"}) as cluster:
        node_a, node_b = cluster.nodes
        item_ids: dict[int, int] = {}
        searcher = Searcher(node_b, item_ids)
        searcher.start()
        uploader = node_a.client("staff", timeout=120)
        backup = tmp_path / "during-uploads.tar"
        killed: list[int] = []
        for n in range(DECKS):
            data = samples.make_pdf(PAGES, marker(n), seed=n)
            response = uploader.upload("/api/v1/events/live/items", [(f"deck-{n}.pdf", data)])
            assert response.status == 202, response.text
            item_ids[n] = response.json()["files"][0]["item"]["id"]
            if n == DECKS // 2:
                node_b.flask("backup", backup)
            if n == 4:
                killed = kill_when_busy(node_a)
        ready = ready_times(node_b, item_ids, timeout=240)
        time.sleep(FOUND_WITHIN_S)
        searcher.stop.set()
        searcher.join(timeout=60)

        assert killed, "node A's worker was killed holding no item"
        assert len(ready) == DECKS, f"not ready: {set(item_ids) - set(ready)}"
        assert not searcher.errors, searcher.errors[:5]
        late = {
            n: round(searcher.found.get(n, float("inf")) - ready[n], 1)
            for n in item_ids
            if searcher.found.get(n, float("inf")) - ready[n] > FOUND_WITHIN_S
        }
        assert not late, f"found on node B too late (seconds after ready): {late}"
        check_nothing_lost_or_doubled(node_a, item_ids, killed)
        for node in cluster.nodes:
            assert "No problems found." in node.flask("check")
        restore_into_empty_instance(cluster, backup, tmp_path / "restored")


def check_nothing_lost_or_doubled(node: LiveStack, item_ids: dict[int, int], killed) -> None:
    ids = tuple(item_ids.values())
    marks = ",".join("?" * len(ids))
    rows = node.query(
        f"SELECT id, status, page_count, indexed_at, claimed_by FROM items WHERE id IN ({marks})",  # noqa: S608
        ids,
    )
    assert {r[1] for r in rows} == {"ready"}, rows
    assert all(r[2] == PAGES and r[3] is not None for r in rows), rows
    documents = dict(
        node.query(
            f"SELECT item_id, count(*) FROM archive_search.pages WHERE item_id IN ({marks}) "  # noqa: S608
            "GROUP BY item_id",
            ids,
        )
    )
    assert documents == dict.fromkeys(ids, PAGES)  # one document per page: none twice
    (pages,) = node.query(f"SELECT count(*) FROM pages WHERE item_id IN ({marks})", ids)[0]  # noqa: S608
    assert pages == DECKS * PAGES
    taken_over = node.query(
        f"SELECT count(*) FROM items WHERE id IN ({','.join('?' * len(killed))}) "  # noqa: S608
        "AND attempts >= 2",
        tuple(killed),
    )[0][0]
    assert taken_over == len(killed)  # claimed again, and finished, by node B's worker


def restore_into_empty_instance(cluster: Cluster, backup: Path, root: Path) -> None:
    """The backup from node B, restored into a new database and upload folder."""
    with tarfile.open(backup) as tar:
        assert any(m.name.startswith("originals/") for m in tar.getmembers())
    url = cluster.postgres.create_database("restored")
    empty = LiveStack(root, settings={"SEARCH_BACKEND": "postgresql", "DATABASE_URL": url})
    output = empty.flask("restore", backup)
    assert "the archive is searchable" in output
    (items,) = empty.query("SELECT count(*) FROM items")[0]
    assert items >= DECKS // 2  # the decks uploaded before the backup, at least
    (documents,) = empty.query("SELECT count(*) FROM archive_search.pages")[0]
    assert documents >= items  # indexed again: one document per page
    assert "No problems found." in empty.flask("check")
