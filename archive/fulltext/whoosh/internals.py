"""Every use of Whoosh's private API, in one place, pinned to the Whoosh version it was read from.

The evaluator reads Whoosh's on-disk structures directly because Whoosh's matchers walk
postings one document at a time in Python: on 100,000 pages of 300 words that measured
256 ms p95 for a top-10 query and 408 ms with one facet. Reading a posting block of up to
128 entries at a time into arrays is what makes exact totals and facets cheap.

What is private here, and why it is needed:

- `W3LeafMatcher` posting blocks (`_read_data`, `_data`, `_goto`, `_nextoffset`, `_maxid`,
  `_lastblock`): ids, term frequencies and position values a block at a time.
- column readers' raw bytes (`_dbfile`, `_basepos`, `_count`, `_fixedlen`): a numeric
  column as one array instead of a Python call per document.
- field lengths (`_perdoc`, `_lenfield`, `LENGTHS_COLUMN`, `byte_to_length`): the one-byte
  length codes BM25 needs, decoded as Whoosh decodes them.
- a segment's deleted documents, and `MpWriter.tasks` to stop a cancelled rebuild's workers.

None of this is covered by Whoosh's compatibility promises, so `check_whoosh_version()` runs
when an index is opened and refuses any version but `VERIFIED_WHOOSH_VERSION`. Before that
pin is changed, `tests/fulltext/test_engine.py` (the evaluator against Whoosh's own matchers,
for every kind of query node) must pass with the new version.
"""

from __future__ import annotations

import numpy as np
import whoosh
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from archive.fulltext.errors import UnsupportedWhooshVersion

# The Whoosh release (PyPI: Whoosh-Reloaded) whose private structures this module was
# verified against; requirements.txt pins the same.
VERIFIED_WHOOSH_VERSION = "2.7.5"

LENGTH_TABLE = np.array([byte_to_length(i) for i in range(256)], dtype=np.float32)
EMPTY_IDS = np.zeros(0, dtype=np.int32)


def installed_whoosh_version() -> str:
    """The version of the Whoosh that is imported, as Whoosh spells it ("2.7.5")."""
    return whoosh.versionstring()


def check_whoosh_version(installed: str | None = None) -> None:
    """Refuse to read an index with a Whoosh whose private structures were not verified."""
    installed = installed or installed_whoosh_version()
    if installed != VERIFIED_WHOOSH_VERSION:
        raise UnsupportedWhooshVersion(
            f"Whoosh {installed} is installed, but the search engine reads Whoosh's private "
            f"index structures and was verified with Whoosh {VERIFIED_WHOOSH_VERSION} only: "
            f"install Whoosh-Reloaded=={VERIFIED_WHOOSH_VERSION} (requirements.txt). To move "
            "to another version, run tests/fulltext/test_engine.py with it (the evaluator "
            "against Whoosh's own matchers) before changing VERIFIED_WHOOSH_VERSION in "
            f"{__name__}."
        )


def _raw_column_bytes(colreader, size: int, width: int) -> bytes | None:
    """A fixed-width column's bytes in one read, or None for a reader of another kind."""
    dbfile = getattr(colreader, "_dbfile", None)
    if dbfile is None:
        return None
    count = min(getattr(colreader, "_count", 0), size)
    return dbfile.get(colreader._basepos, count * width) if count else b""


def read_numeric_column(reader, name: str, size: int) -> np.ndarray:
    """A numeric column of one segment as an int64 array indexed by docnum (0 if absent)."""
    out = np.zeros(size, dtype=np.int64)
    if not reader.has_column(name):
        return out
    colreader = reader.column_reader(name, translate=False)
    width = colreader._fixedlen
    raw = _raw_column_bytes(colreader, size, width)
    dtype = {1: ">u1", 2: ">u2", 4: ">i4", 8: ">i8"}[width]
    if raw is None:  # an unexpected reader type: slow but correct
        return np.fromiter(colreader, dtype=np.int64, count=size)
    values = np.frombuffer(raw, dtype=dtype)
    out[: values.size] = values
    return out


def read_field_lengths(reader, fieldname: str, size: int) -> np.ndarray:
    """Each document's length in a field, decoded from Whoosh's one-byte codes as Whoosh does."""
    perdoc = reader._perdoc
    lenfield = _lenfield(fieldname)
    if not perdoc.has_column(lenfield):
        return np.zeros(size, dtype=np.float32)
    colreader = perdoc.column_reader(lenfield, LENGTHS_COLUMN)
    raw = _raw_column_bytes(colreader, size, 1)
    codes = np.zeros(size, dtype=np.uint8)
    if raw is None:
        codes[:] = np.fromiter(colreader, dtype=np.uint8, count=size)
    else:
        codes[: len(raw)] = np.frombuffer(raw, dtype=np.uint8)
    return LENGTH_TABLE[codes]


def _leaf_matcher(reader, fieldname: str, text: str):
    """The term's matcher without Whoosh's deletion filter, or None for an unknown term."""
    try:
        matcher = reader.postings(fieldname, text)
    except TermNotFound:
        return None
    while isinstance(matcher, FilterMatcher):  # deletions are applied by the live mask
        matcher = matcher.child
    return matcher


def read_postings(reader, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """All postings of a term as (docnums, term frequencies), a block at a time."""
    matcher = _leaf_matcher(reader, fieldname, text)
    if matcher is None:
        return EMPTY_IDS, np.zeros(0, dtype=np.float32)
    if not isinstance(matcher, W3LeafMatcher):
        ids, weights = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        return np.array(ids, dtype=np.int32), np.array(weights, dtype=np.float32)
    id_blocks, weight_blocks = [], []
    while True:
        matcher._read_data()
        deltas, weights, _ = matcher._data
        ids = np.cumsum(np.array(deltas, dtype=np.int64)).astype(np.int32)
        id_blocks.append(ids)
        if weights is None:
            weight_blocks.append(np.ones(ids.size, dtype=np.float32))
        elif isinstance(weights, float):
            weight_blocks.append(np.full(ids.size, weights, dtype=np.float32))
        else:
            weight_blocks.append(np.array(weights, dtype=np.float32))
        if matcher._lastblock:
            break
        matcher._goto(matcher._nextoffset)
    return np.concatenate(id_blocks), np.concatenate(weight_blocks)


def read_postings_with_values(
    reader, fieldname: str, text: str
) -> tuple[np.ndarray, np.ndarray, list[bytes]]:
    """All postings of a term with their raw values (positions), each block read once.

    A phrase needs a word's documents (to intersect) and then the positions of the ones
    that survive; reading the blocks once for both halves the decompressing and unpickling
    that dominated phrase queries.
    """
    matcher = _leaf_matcher(reader, fieldname, text)
    if matcher is None:
        return EMPTY_IDS, np.zeros(0, dtype=np.float32), []
    if not isinstance(matcher, W3LeafMatcher):
        ids, weights, values = [], [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            values.append(matcher.value())
            matcher.next()
        return np.array(ids, dtype=np.int32), np.array(weights, dtype=np.float32), values
    id_blocks, weight_blocks, values = [], [], []
    while True:
        matcher._read_data()
        deltas, weights, block_values = matcher._data
        ids = np.cumsum(np.array(deltas, dtype=np.int64)).astype(np.int32)
        id_blocks.append(ids)
        if weights is None:
            weight_blocks.append(np.ones(ids.size, dtype=np.float32))
        elif isinstance(weights, float):
            weight_blocks.append(np.full(ids.size, weights, dtype=np.float32))
        else:
            weight_blocks.append(np.array(weights, dtype=np.float32))
        values.extend(block_values or (b"",) * ids.size)
        if matcher._lastblock:
            break
        matcher._goto(matcher._nextoffset)
    return np.concatenate(id_blocks), np.concatenate(weight_blocks), values


def decode_varint_deltas(values: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """(owner, position) rows of many varint-delta position lists, decoded as arrays."""
    raw = np.frombuffer(b"".join(values), dtype=np.uint8)
    if raw.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    sizes = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    byte_owner = np.repeat(np.arange(len(values), dtype=np.int64), sizes)
    last = (raw & 0x80) == 0  # the last byte of each varint
    number = np.cumsum(np.r_[0, last[:-1]])  # which varint each byte belongs to
    first_byte = np.flatnonzero(np.r_[True, last[:-1]])
    shift = 7 * (np.arange(raw.size) - first_byte[number])
    deltas = np.bincount(number, weights=(raw & 0x7F).astype(np.int64) << shift)
    deltas = deltas.astype(np.int64)
    owner = byte_owner[last]
    running = np.cumsum(deltas)
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    base = np.where(starts > 0, running[np.maximum(starts - 1, 0)], 0)
    counts = np.diff(np.r_[starts, owner.size])
    return owner, running - np.repeat(base, counts)


def live_mask(reader) -> np.ndarray:
    """Which documents of a segment are not deleted, as a boolean array by docnum."""
    live = np.ones(reader.doc_count_all(), dtype=bool)
    if reader.has_deletions():
        deleted = np.fromiter(reader.segment().deleted_docs(), dtype=np.int64)
        live[deleted] = False
    return live


def cancel_writer(writer) -> None:
    """Cancel a writer, stopping a multi-process writer's worker processes first.

    Whoosh's MpWriter.cancel() cannot stop its workers (it flips a flag in the parent's
    copy), so they are terminated here before the caller removes their directory.
    """
    for task in getattr(writer, "tasks", []):
        task.terminate()
        task.join()
    writer.cancel()
