"""The index life cycle: writers across processes, refresh, rebuild-and-swap, versions."""

from __future__ import annotations

import json
import multiprocessing
import threading
import time

import pytest

from archive.fulltext import (
    IndexCorruptError,
    RebuildError,
    RebuildInProgressError,
    SchemaVersionError,
    SearchRequest,
)
from archive.fulltext.whoosh import SCHEMA_VERSION, SearchIndex
from archive.fulltext.whoosh.generations import BUILDING, CURRENT, JOURNAL
from tests.fulltext.fulltext_helpers import STAFF, differs_on_postgresql, ids, make_item, pages


def generations(root) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith("gen-"))


def found(index: SearchIndex, text: str) -> list[int]:
    return sorted(ids(index.search(SearchRequest(text, STAFF, per_page=100))))


def corpus(item_ids, word="budget", delay=0.0):
    for item_id in item_ids:
        if delay:
            time.sleep(delay)
        yield make_item(item_id), pages(f"{word} page of item {item_id}", "second page")


def test_item_ids_doc_count_and_removals(index):
    index.index_items(
        [
            (make_item(1, event_id=1), pages("a", "b")),
            (make_item(2, event_id=2), pages("c")),
            (make_item(3, event_id=2, kind="photo", title="p"), pages("p")),
        ]
    )
    assert index.item_ids() == {1, 2, 3}
    assert index.doc_count() == 4
    index.remove_event(2)
    assert index.item_ids() == {1}
    index.remove_item(1)
    assert index.item_ids() == set()
    assert index.doc_count() == 0


def test_reindexing_replaces_every_page(index):
    index.index_item(make_item(1), pages("budget one", "budget two", "budget three"))
    index.index_item(make_item(1), pages("budget only"))
    assert index.doc_count() == 1
    (group,) = index.search(SearchRequest("budget", STAFF)).groups
    assert group.more_count == 0


def test_batch_keeps_the_last_version_of_a_repeated_item(index):
    index.index_items([(make_item(1), pages("old words")), (make_item(1), pages("new words"))])
    assert found(index, "new") == [1]
    assert found(index, "old") == []


def test_a_removal_is_seen_by_other_processes_next_search(tmp_path):
    writer, reader = SearchIndex(tmp_path), SearchIndex(tmp_path)
    writer.index_item(make_item(1), pages("budget"))
    assert found(reader, "budget") == [1]
    writer.remove_item(1)
    assert found(reader, "budget") == []
    writer.index_item(make_item(1, visibility="staff"), pages("budget"))
    assert ids(reader.search(SearchRequest("budget", STAFF.__class__(False)))) == []


def test_segments_are_merged_as_commits_pile_up(index, backend):
    differs_on_postgresql(backend, "a table has no segments; autovacuum tidies it")
    for item_id in range(40):
        index.index_item(make_item(item_id), pages("budget"))
    assert len(index._current_view().parts) <= 10


def _write_items(root, first, count, rounds):
    index = SearchIndex(root, lock_timeout=120)
    for round_number in range(rounds):
        batch = [
            (make_item(item_id), pages(f"budget round{round_number} item{item_id}"))
            for item_id in range(first, first + count)
        ]
        index.index_items(batch[: count // 2])
        for item, item_pages in batch[count // 2 :]:
            index.index_item(item, item_pages)
        index.index_item(make_item(999), pages(f"shared item written by {first}"))
        index.search(SearchRequest("budget", STAFF))


def _run_processes(*targets):
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=t, args=a) for t, a in targets]
    for process in processes:
        process.start()
    for process in processes:
        process.join(180)
    return [p.exitcode for p in processes]


def test_concurrent_writers_in_three_processes(tmp_path):
    root = tmp_path / "index"
    exits = _run_processes(
        (_write_items, (root, 100, 6, 4)),
        (_write_items, (root, 200, 6, 4)),
        (_write_items, (root, 300, 6, 4)),
    )
    assert exits == [0, 0, 0]  # a LockError (or any error) would make a process exit 1
    index = SearchIndex(root)
    expected = {999} | set(range(100, 106)) | set(range(200, 206)) | set(range(300, 306))
    assert index.item_ids() == expected
    assert index.doc_count() == len(expected)
    assert found(index, "round3") == sorted(expected - {999})


def _wait_for(path, seconds=60.0):
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.01)


def _rebuild_waiting_for_writers(root, first, count, *done_files):
    def items():
        yield from corpus(range(first, first + count), delay=0.01)
        for path in done_files:  # keep the rebuild open until the writers are done
            _wait_for(path)

    SearchIndex(root, lock_timeout=120).rebuild(items())


def _write_items_during_rebuild(root, first, count, rounds, done_file):
    _wait_for(root / BUILDING)
    _write_items(root, first, count, rounds)
    done_file.touch()


def test_rebuild_in_one_process_while_two_others_write(tmp_path):
    root = tmp_path / "index"
    SearchIndex(root).index_items(corpus(range(1, 4), word="stale"))
    done = (tmp_path / "done-100", tmp_path / "done-200")
    exits = _run_processes(
        (_rebuild_waiting_for_writers, (root, 1, 30, *done)),
        (_write_items_during_rebuild, (root, 100, 4, 3, done[0])),
        (_write_items_during_rebuild, (root, 200, 4, 3, done[1])),
    )
    assert exits == [0, 0, 0]
    index = SearchIndex(root)
    writers = set(range(100, 104)) | set(range(200, 204)) | {999}
    assert index.item_ids() == set(range(1, 31)) | writers
    assert found(index, "round2") == sorted(writers - {999})
    assert found(index, "stale") == []
    assert not (root / BUILDING).exists() and not (root / JOURNAL).exists()


def test_rebuild_swaps_while_searches_go_on(tmp_path):
    index = SearchIndex(tmp_path)
    index.index_items(corpus(range(1, 6), word="old"))
    errors, results = [], []
    stop = threading.Event()

    def keep_searching():
        other = SearchIndex(tmp_path)
        while not stop.is_set():
            try:
                results.append(found(other, "old"))
            except Exception as error:  # noqa: BLE001 - the test reports any error
                errors.append(error)

    thread = threading.Thread(target=keep_searching)
    thread.start()
    try:
        while not (results or errors) and thread.is_alive():  # one answer before the rebuild
            time.sleep(0.005)
        report = index.rebuild(corpus(range(1, 21), word="new", delay=0.01))
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert results and results[0] == [1, 2, 3, 4, 5]
    assert all(r in ([1, 2, 3, 4, 5], []) for r in results)
    assert report.items == 20 and report.documents == 40
    assert found(index, "new") == list(range(1, 21))
    assert found(index, "old") == []


def test_writes_during_a_rebuild_are_replayed_into_it(tmp_path):
    index = SearchIndex(tmp_path)
    index.index_items(corpus(range(1, 4)))
    worker = SearchIndex(tmp_path)  # another process's SearchIndex, in effect

    def items():
        yield from corpus(range(1, 3))
        worker.index_item(make_item(50), pages("budget written during the rebuild"))
        worker.remove_item(2)  # already read by the rebuild: the journal must remove it
        worker.index_item(make_item(1), pages("budget rewritten during the rebuild"))
        yield from corpus(range(3, 5))

    index.rebuild(items())
    assert index.item_ids() == {1, 3, 4, 50}
    assert found(index, "rewritten") == [1]


def test_failed_rebuild_keeps_the_index_in_use(tmp_path):
    index = SearchIndex(tmp_path)
    index.index_items(corpus(range(1, 4)))
    before = generations(tmp_path)

    def broken():
        yield from corpus(range(1, 3), word="new")
        raise RuntimeError("database went away")

    with pytest.raises(RebuildError, match="database went away.*previous index is still in use"):
        index.rebuild(broken())
    assert generations(tmp_path) == before
    assert found(index, "budget") == [1, 2, 3]
    assert found(index, "new") == []
    assert not (tmp_path / BUILDING).exists()


def test_bad_items_are_skipped_and_reported(tmp_path):
    index = SearchIndex(tmp_path)
    items = [(make_item(1), pages("budget")), (make_item(2, kind="video"), pages("budget"))]
    report = index.rebuild(items, progress=(progress := []).append)
    assert report.items == 1
    assert report.failed == [(2, "item 2: unknown kind 'video'")]
    assert progress == [1]
    assert index.item_ids() == {1}


def test_only_one_rebuild_at_a_time(tmp_path):
    index = SearchIndex(tmp_path)
    started, release = threading.Event(), threading.Event()

    def slow():
        started.set()
        release.wait(10)
        yield from corpus([1])

    thread = threading.Thread(target=index.rebuild, args=(slow(),))
    thread.start()
    started.wait(10)
    try:
        with pytest.raises(RebuildInProgressError):
            SearchIndex(tmp_path).rebuild(corpus([2]))
    finally:
        release.set()
        thread.join()
    assert index.item_ids() == {1}


def test_old_generations_are_cleaned_keeping_the_previous_one(tmp_path):
    index = SearchIndex(tmp_path)
    index.index_item(make_item(1), pages("x"))
    for _ in range(3):
        index.rebuild(corpus([1]))
    assert generations(tmp_path) == ["gen-000003", "gen-000004"]
    assert json.loads((tmp_path / CURRENT).read_text())["generation"] == "gen-000004"


def test_a_rebuild_that_died_leaves_nothing_behind(tmp_path):
    index = SearchIndex(tmp_path)
    index.index_item(make_item(1), pages("budget"))
    (tmp_path / "gen-000007").mkdir()
    (tmp_path / BUILDING).write_text(json.dumps({"generation": "gen-000007"}))
    (tmp_path / JOURNAL).write_text("")
    index.index_item(make_item(2), pages("budget"))  # no live rebuild: marker is dropped
    assert not (tmp_path / BUILDING).exists()
    assert found(index, "budget") == [1, 2]
    index.rebuild(corpus([3]))
    assert "gen-000007" not in generations(tmp_path)


def test_schema_version_mismatch_asks_for_reindex(tmp_path):
    index = SearchIndex(tmp_path)
    index.index_item(make_item(1), pages("budget"))
    pointer = json.loads((tmp_path / CURRENT).read_text())
    (tmp_path / CURRENT).write_text(json.dumps({**pointer, "schema_version": 0}))
    stale = SearchIndex(tmp_path)
    for call in (
        stale.check,
        lambda: stale.search(SearchRequest("budget", STAFF)),
        lambda: stale.index_item(make_item(2), pages("x")),
    ):
        with pytest.raises(SchemaVersionError, match="flask --app archive reindex"):
            call()
    stale.rebuild(corpus([1, 2]))
    assert found(stale, "budget") == [1, 2]


@pytest.mark.parametrize("damage", ["garbage pointer", "missing generation"])
def test_damaged_index_raises_and_is_not_wiped(tmp_path, damage):
    index = SearchIndex(tmp_path)
    index.index_item(make_item(1), pages("budget"))
    if damage == "garbage pointer":
        (tmp_path / CURRENT).write_text("{not json")
    else:
        (tmp_path / CURRENT).write_text(
            json.dumps({"generation": "gen-000099", "schema_version": SCHEMA_VERSION})
        )
    with pytest.raises(IndexCorruptError, match="reindex"):
        SearchIndex(tmp_path).search(SearchRequest("budget", STAFF))
    with pytest.raises(IndexCorruptError):
        SearchIndex(tmp_path).index_item(make_item(2), pages("x"))
    assert generations(tmp_path) == ["gen-000001"]
    SearchIndex(tmp_path).rebuild(corpus([1, 2]))  # `flask --app archive reindex` repairs it
    assert found(SearchIndex(tmp_path), "budget") == [1, 2]


def test_a_forked_worker_opens_its_own_searcher(tmp_path):
    index = SearchIndex(tmp_path)
    index.index_item(make_item(1), pages("budget"))
    assert found(index, "budget") == [1]  # the parent has a searcher open

    def child():
        index.index_item(make_item(2), pages("budget"))
        assert found(index, "budget") == [1, 2]

    assert _run_processes((child, ())) == [0]
    assert found(index, "budget") == [1, 2]
