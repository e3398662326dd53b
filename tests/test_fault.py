"""The worker is killed (SIGKILL) in the middle of an upload batch and restarted, twice: once
while it extracts, once between an item's commit as ready and its indexing. Every file still
ends ready or failed, exactly once, with its pages, images, index entries and original intact,
and no extraction child outlives its worker.

Runs the production processes (gunicorn, `flask worker -w 2`) through `tests.support.live`.
The last two tests check the same two repairs without processes: the sandbox child dying with
its parent, and the recovery of what killed workers leave in uploads/tmp.
"""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path

import pytest

from archive.fulltext import AccessScope, SearchRequest
from archive.fulltext.whoosh import SearchIndex
from tests.support import samples
from tests.support.live import LiveStack

pytestmark = pytest.mark.slow

UPLOAD_URL = "/api/v1/events/live/items"
EVERYTHING = AccessScope(include_staff_only=True)


def batch() -> list[dict]:
    """Twelve files: decks from 1 to 200 pages (the long ones take seconds each), photos in
    three formats, and one file that starts like a PDF but is not one."""
    files = []
    for n, pages in enumerate((200, 140, 100, 60, 30, 12, 3, 1)):
        marker = f"zqxdeck{chr(97 + n)}"
        files.append(dict(name=f"{marker}.pdf", marker=marker, pages=pages, kind="presentation",
                          data=samples.make_pdf(pages, marker)))  # fmt: skip
    for n, fmt in enumerate(("JPEG", "PNG", "WEBP")):
        marker = f"zqxphoto{chr(97 + n)}"
        files.append(dict(name=f"{marker}.{fmt.lower()}", marker=marker, pages=1, kind="photo",
                          data=samples.make_image(fmt, (1200, 900), seed=n)))  # fmt: skip
    files.append(dict(name="zqxbroken.pdf", marker="zqxbroken", pages=0, kind="presentation",
                      data=samples.make_broken_pdf(), broken=True))  # fmt: skip
    return files


def upload_all(stack: LiveStack, files: list[dict], item_ids: dict, errors: list) -> None:
    """One request per file, in order; record each file's item id."""
    client = stack.client("staff")
    for spec in files:
        try:
            response = client.upload(UPLOAD_URL, [(spec["name"], spec["data"])],
                                     {"title": spec["marker"]})  # fmt: skip
            outcome = response.json()["files"][0]
            assert response.status == 202, (response.status, outcome)
            item_ids[spec["name"]] = outcome["item"]["id"]
        except Exception as exc:  # noqa: BLE001 - reported by the test thread
            errors.append(f"{spec['name']}: {exc!r}")


def wait_until_extracting(stack: LiveStack, timeout: float = 30) -> list[int]:
    """Wait until an extraction child runs; return the items in processing."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = [i for (i,) in stack.query("SELECT id FROM items WHERE status = 'processing'")]
        if busy and stack.extraction_children():
            return busy
        time.sleep(0.02)
    raise AssertionError("the worker never started extracting")


def wait_until_unindexed(stack: LiveStack, timeout: float = 30) -> list[int]:
    """Wait for the moment between an item's commit as ready and its indexing."""
    sql = "SELECT id FROM items WHERE status = 'ready' AND indexed_at IS NULL"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := [i for (i,) in stack.query(sql)]:
            return found
        time.sleep(0.01)
    raise AssertionError("never caught an item between its commit and its indexing")


def wait_until_gone(pids: list[int], timeout: float = 5) -> list[int]:
    """The pids still alive after `timeout` s (5, as the single-child test allows: a loaded
    machine takes its time to tear down a child of some hundred MB)."""
    deadline = time.monotonic() + timeout
    while (alive := [p for p in pids if process_alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


def test_worker_killed_mid_batch_loses_and_doubles_nothing(tmp_path):
    files = batch()
    item_ids: dict[str, int] = {}
    errors: list[str] = []
    started = time.monotonic()
    with LiveStack(tmp_path, settings={"EXTRACT_TIMEOUT_S": "60"}) as stack:
        uploader = threading.Thread(target=upload_all, args=(stack, files, item_ids, errors))
        uploader.start()
        busy = wait_until_extracting(stack)
        time.sleep(0.3)  # inside the first long deck
        children = stack.extraction_children()
        stack.kill_worker()
        assert not wait_until_gone(children), "extraction children outlived the worker"
        time.sleep(1.0)  # uploads keep arriving while no worker runs
        stack.start_worker()
        unindexed = wait_until_unindexed(stack)
        stack.kill_worker()  # committed as ready, not yet searchable
        stack.start_worker()
        uploader.join(timeout=60)
        assert not errors, errors
        assert len(item_ids) == len(files)
        states = stack.wait_for_items(item_ids.values(), timeout=75)
        assert not stack.unindexed(list(item_ids.values())), "ready but never indexed"
        check_final_states(stack, files, item_ids, states)
        check_pages_and_images(stack, files, item_ids)
        check_index(stack, files, item_ids)
        check_originals(stack, files)
        assert "re-queued" in stack.worker_log.read_text()
    assert busy and unindexed
    assert time.monotonic() - started < 120


def check_final_states(stack: LiveStack, files, item_ids, states) -> None:
    stuck = {name: states.get(i) for name, i in item_ids.items() if states.get(i) != "ready"}
    assert set(stuck) == {"zqxbroken.pdf"}, stuck
    (row,) = stack.query(
        "SELECT status, error_code, error FROM items WHERE id = ?", (item_ids["zqxbroken.pdf"],)
    )
    assert row[0] == "failed" and row[1] == "damaged" and "zqxbroken.pdf" in row[2], row
    rows = stack.query("SELECT sha256, count(*) FROM items GROUP BY sha256")
    assert len(rows) == len(files) and all(count == 1 for _, count in rows)
    by_hash = {hashlib.sha256(f["data"]).hexdigest(): f["name"] for f in files}
    assert {by_hash[sha] for sha, _ in rows} == set(by_hash.values())


def check_pages_and_images(stack: LiveStack, files, item_ids) -> None:
    derived = stack.upload_dir / "derived"
    for spec in files:
        item_id = item_ids[spec["name"]]
        (pages_rows,) = stack.query("SELECT count(*) FROM pages WHERE item_id = ?", (item_id,))
        folder = derived / str(item_id)
        if spec.get("broken"):
            assert pages_rows == (0,) and not folder.exists()
        elif spec["kind"] == "presentation":
            (page_count,) = stack.query("SELECT page_count FROM items WHERE id = ?", (item_id,))
            assert page_count == (spec["pages"],) and pages_rows == (spec["pages"],), spec["name"]
            expected = {f"page-{n:04d}-{s}" for n in range(1, spec["pages"] + 1)
                        for s in ("thumb.webp", "preview.jpg")}  # fmt: skip
            assert {p.name for p in folder.iterdir()} == expected, spec["name"]
        else:
            assert {p.name for p in folder.iterdir()} == {"grid.webp", "lightbox.jpg"}


def check_index(stack: LiveStack, files, item_ids) -> None:
    """Each ready item has exactly one document per page (photos: one), none for the broken."""
    index = SearchIndex(stack.index_dir)
    for spec in files:
        page = index.search(SearchRequest(spec["marker"], scope=EVERYTHING, per_page=100))
        expected = 0 if spec.get("broken") else spec["pages"]
        assert page.total_hits == expected, (spec["name"], page.total_hits)
        if expected and spec["kind"] == "presentation":
            assert [g.item_id for g in page.groups] == [item_ids[spec["name"]]]
    assert index.doc_count() == sum(f["pages"] for f in files)
    assert index.item_ids() == {item_ids[f["name"]] for f in files if not f.get("broken")}


def check_originals(stack: LiveStack, files) -> None:
    """Every stored original is complete: its bytes hash to its name."""
    originals = [p for p in (stack.upload_dir / "originals").glob("*/*/*") if p.is_file()]
    for path in originals:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name, path
    expected = {hashlib.sha256(f["data"]).hexdigest() for f in files}
    assert {Path(p).name for p in originals} == expected


def sleep_and_report(path: str) -> None:
    """Runs in an extraction child: say who we are, then work far beyond the test."""
    import os
    import time

    Path(path).write_text(str(os.getpid()))
    time.sleep(60)


def test_an_extraction_child_does_not_outlive_its_killed_worker(tmp_path):
    """A worker killed mid-extraction must not leave its child running unsupervised (the
    time limit is enforced by the parent, so an orphan on a slow file would never stop)."""
    import os
    import signal

    from archive.ingest.sandbox import run_sandboxed

    marker = tmp_path / "child.pid"
    worker = os.fork()
    if worker == 0:  # the "worker": starts an extraction and waits for it
        try:
            run_sandboxed(sleep_and_report, str(marker), filename="x.pdf", timeout_s=120,
                          memory_mb=256)  # fmt: skip
        finally:
            os._exit(0)
    deadline = time.monotonic() + 10
    while not (marker.exists() and marker.read_text()) and time.monotonic() < deadline:
        time.sleep(0.02)
    child = int(marker.read_text())
    os.kill(worker, signal.SIGKILL)
    os.waitpid(worker, 0)
    try:
        deadline = time.monotonic() + 5
        while process_alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not process_alive(child), "the extraction child outlived its worker"
    finally:
        if process_alive(child):
            os.kill(child, signal.SIGKILL)


def process_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_recovery_removes_what_killed_processes_left_in_tmp(app):
    """Staging folders and partial uploads of a killed worker go once older than a lease;
    the files of work still in progress stay."""
    import os

    from archive.pipeline import extraction_seconds, remove_stale_temp
    from archive.services import current_storage

    tmp = current_storage().tmp
    stale_dir, stale_file = tmp / "derived-dead", tmp / "upload-dead"
    (stale_dir / "nested").mkdir(parents=True)
    (stale_dir / "nested" / "page-0001-thumb.webp").write_bytes(b"x")
    stale_file.write_bytes(b"partial")
    fresh = tmp / "derived-live"
    fresh.mkdir()
    old = time.time() - extraction_seconds() - 60
    # a folder counts as stale only when nothing inside it was touched recently either
    for path in (
        stale_dir / "nested" / "page-0001-thumb.webp",
        stale_dir / "nested",
        stale_dir,
        stale_file,
    ):
        os.utime(path, (old, old))

    assert sorted(remove_stale_temp()) == ["derived-dead", "upload-dead"]
    assert [p.name for p in tmp.iterdir()] == ["derived-live"]
