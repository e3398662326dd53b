"""The rebuild's writers against Whoosh's own: the same segment, posting for posting.

A rebuild sorts postings with `internals.SpillingPool` (large marshal runs) instead of
Whoosh's `PostingPool` (one pickle per posting), and `LeanCodec` writes blocks of 1,024
postings with their positions joined (`internals.JoinedValuesWriter`). The index must say
what Whoosh's own writer and codec would: the same terms, documents, weights, positions
and stored fields, also when the pool spills to several runs on disk, when several
processes write, and through Whoosh's own matchers.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage

from archive.fulltext.whoosh.internals import (
    SpillingPool,
    decode_varint_deltas,
    read_postings_with_values,
    rebuild_writer,
)
from archive.fulltext.whoosh.postings import LeanCodec
from archive.fulltext.whoosh.schema import build_schema, item_documents
from tests.fulltext.fulltext_helpers import make_item, pages

WORDS = "budget hökumət правительство reform e-government data 2024 統計 gamma delta".split()


def documents(count: int) -> list[dict]:
    rng = random.Random(3)
    docs = []
    for item_id in range(1, count + 1):
        texts = [" ".join(rng.choices(WORDS, k=rng.randint(1, 40))) for _ in range(3)]
        docs += item_documents(make_item(item_id, title=rng.choice(WORDS)), pages(*texts))
    return docs


def build(path, docs, make_writer):
    storage = FileStorage(str(path)).create()
    ix = storage.create_index(build_schema())
    writer = make_writer(ix)
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    return ix


def contents(ix) -> tuple[dict, list]:
    """Every posting (docnum, weight, value) of every term, and every stored document,
    keyed by item and page so that segments written in another order compare equal."""
    postings: dict = {}
    stored = []
    with ix.searcher() as searcher:
        for reader, _offset in searcher.reader().leaf_readers():
            keys = {d: (f["item_id"], f["page"]) for d, f in reader.iter_docs()}
            stored += sorted(reader.iter_docs(), key=lambda pair: keys[pair[0]])
            for fieldname, text in reader.all_terms():
                matcher = reader.postings(fieldname, text)
                found = postings.setdefault((fieldname, text), [])
                while matcher.is_active():
                    found.append((keys[matcher.id()], matcher.weight(), matcher.value()))
                    matcher.next()
    return {key: sorted(value) for key, value in postings.items()}, sorted(
        (f["item_id"], f["page"], sorted(f.items())) for _, f in stored
    )


@pytest.fixture(scope="module")
def docs():
    return documents(500)  # 1,500 pages: a common word's postings span two blocks


@pytest.fixture(scope="module")
def whooshs_index(tmp_path_factory, docs):
    """The documents written by Whoosh's writer and codec (positions pickled one by one)."""
    return build(tmp_path_factory.mktemp("whoosh"), docs, lambda ix: ix.writer(codec=W3Codec()))


@pytest.fixture(scope="module")
def whooshs_own(whooshs_index):
    return contents(whooshs_index)


def spilling_every(postings: int):
    def make(ix):
        writer = rebuild_writer(ix, 1, codec=LeanCodec())
        writer.pool.limit = postings
        return writer

    return make


@pytest.mark.parametrize("limit", [1_000_000, 500, 37])
def test_one_writer_writes_what_whoosh_writes(tmp_path, docs, whooshs_own, limit):
    assert contents(build(tmp_path, docs, spilling_every(limit))) == whooshs_own


def test_a_small_pool_really_spills_and_leaves_no_run_behind(tmp_path, docs):
    storage = FileStorage(str(tmp_path)).create()
    pool = SpillingPool(storage, limitmb=1)
    pool.limit = 100
    for n, doc in enumerate(docs[:20]):
        for word in doc["body_s"].split():
            pool.add(("body_s", word.encode(), n, 1.0, b""))
        pool.spill_if_full()
    assert len(pool.runs) > 2
    merged = list(pool.iter_postings())
    assert merged == sorted(merged)
    assert not any(name.endswith(".run") for name in storage.list())


def test_two_writer_processes_write_what_whoosh_writes(tmp_path, docs, whooshs_own):
    ix = build(tmp_path, docs, lambda ix: rebuild_writer(ix, 2, codec=LeanCodec(), limitmb=1))
    with ix.searcher() as searcher:
        assert len(searcher.reader().leaf_readers()) == 2
    assert contents(ix) == whooshs_own


def test_positions_read_alike_from_both_block_formats(tmp_path, docs, whooshs_index):
    ours = build(tmp_path, docs, spilling_every(1_000_000))
    for word in ("budget", "hokumet", "правительств", "data"):
        with ours.reader() as mine, whooshs_index.reader() as theirs:
            a_ids, a_weights, a_values = read_postings_with_values(mine, "body_s", word)
            b_ids, b_weights, b_values = read_postings_with_values(theirs, "body_s", word)
            assert a_ids.size > 1024
            assert np.array_equal(a_ids, b_ids) and np.array_equal(a_weights, b_weights)
            rows = np.arange(0, a_ids.size, 7)
            a_pos, b_pos = (
                decode_varint_deltas(*a_values.select(rows)),
                decode_varint_deltas(*b_values.select(rows)),
            )
            assert all(np.array_equal(x, y) for x, y in zip(a_pos, b_pos, strict=True))
            assert a_pos[1].size == a_weights[rows].sum()  # a word's count is its positions
