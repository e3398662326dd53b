"""Query nodes and their evaluation over a Whoosh index with NumPy.

Whoosh stores the index (segments, postings, columns, stored fields) and handles writing,
merging and locking; this module scores and filters. Whoosh's own matchers walk postings
one document at a time in Python, which PERF-NOTES measured at 256 ms p95 for a top-10 query
at 100,000 pages (408 ms with one facet). Here a posting list is read a block of 128 at a time
into arrays, BM25 is computed vectorised, and facets and grouping are array operations over
the complete match set, so counts are exact and cost little.

Query nodes are small frozen dataclasses (hashable, so filter masks cache per segment by
node); `to_whoosh()` turns the text and permission nodes into the equivalent Whoosh query,
which the tests use to check this evaluator against Whoosh's own.

Scores follow Whoosh's BM25F model: one BM25 per field with the field's weight as the
query boost, summed over fields and words; a phrase scores like a term whose frequency is
the number of phrase occurrences and whose idf is the sum of its words' idfs.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain
from pickle import loads  # noqa: S403 - Whoosh's own posting values, not untrusted data

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

K1 = 1.2
B = 0.75
ITEM_LEVEL_FIELDS = frozenset({"title", "people", "orgs", "tags", "event"})  # same on every page
_LENGTH_TABLE = np.array([byte_to_length(i) for i in range(256)], dtype=np.float32)
_EMPTY_IDS = np.zeros(0, dtype=np.int32)
_EMPTY_SCORES = np.zeros(0, dtype=np.float64)


# ---------------------------------------------------------------------------- query nodes


class Node:
    """Base of query nodes."""

    def to_whoosh(self) -> wq.Query:
        raise TypeError(f"{type(self).__name__} has no Whoosh equivalent")


@dataclass(frozen=True)
class Term(Node):
    field: str
    text: str
    boost: float = 1.0  # 0 makes it a pure filter

    def to_whoosh(self) -> wq.Query:
        return wq.Term(self.field, self.text, boost=self.boost or 1.0)


@dataclass(frozen=True)
class Phrase(Node):
    field: str
    words: tuple[str, ...]
    boost: float = 1.0

    def to_whoosh(self) -> wq.Query:
        return wq.Phrase(self.field, list(self.words), boost=self.boost or 1.0)


@dataclass(frozen=True)
class AllOf(Node):
    children: tuple[Node, ...]

    def to_whoosh(self) -> wq.Query:
        return wq.And([c.to_whoosh() for c in self.children])


@dataclass(frozen=True)
class AnyOf(Node):
    children: tuple[Node, ...]

    def to_whoosh(self) -> wq.Query:
        return wq.Or([c.to_whoosh() for c in self.children])


@dataclass(frozen=True)
class Without(Node):
    """Documents of `positive` that do not match `negative` (AND NOT)."""

    positive: Node
    negative: Node

    def to_whoosh(self) -> wq.Query:
        return wq.AndNot(self.positive.to_whoosh(), self.negative.to_whoosh())


@dataclass(frozen=True)
class Bonus(Node):
    """Documents of `required`, scored higher where `optional` also matches (AND MAYBE).

    With `best`, only that many of the highest-scoring required documents (per segment) are
    checked for the optional part: a phrase bonus for two common words would otherwise
    check positions in tens of thousands of pages that rank nowhere near the first page.
    """

    required: Node
    optional: Node
    best: int | None = None

    def to_whoosh(self) -> wq.Query:
        return wq.AndMaybe(self.required.to_whoosh(), self.optional.to_whoosh())


@dataclass(frozen=True)
class Every(Node):
    def to_whoosh(self) -> wq.Query:
        return wq.Every()


@dataclass(frozen=True)
class NoDocs(Node):
    def to_whoosh(self) -> wq.Query:
        return wq.NullQuery


@dataclass(frozen=True)
class ColumnRange(Node):
    """A filter on a numeric column: low <= value <= high, None meaning open."""

    column: str
    low: int | None
    high: int | None


def all_of(children: Iterable[Node]) -> Node:
    kids = tuple(c for c in children if not isinstance(c, Every))
    if any(isinstance(c, NoDocs) for c in kids):
        return NoDocs()
    if not kids:
        return Every()
    return kids[0] if len(kids) == 1 else AllOf(kids)


def any_of(children: Iterable[Node]) -> Node:
    kids = tuple(c for c in children if not isinstance(c, NoDocs))
    if not kids:
        return NoDocs()
    return kids[0] if len(kids) == 1 else AnyOf(kids)


def _is_text_field(name: str) -> bool:
    return name.endswith(("_x", "_s"))


def is_filter(node: Node) -> bool:
    """True when a node only selects documents and contributes no score."""
    if isinstance(node, Term):
        return node.boost == 0 or not _is_text_field(node.field)
    if isinstance(node, Phrase):
        return node.boost == 0
    if isinstance(node, AllOf | AnyOf):
        return all(is_filter(c) for c in node.children)
    if isinstance(node, Without):
        return is_filter(node.positive)
    if isinstance(node, Bonus):
        return False
    return True  # Every, NoDocs, ColumnRange


# ---------------------------------------------------------------------------- segments


class _Lru(OrderedDict):
    def __init__(self, max_weight: int):
        super().__init__()
        self.max_weight = max_weight
        self.weight = 0

    def get_item(self, key):
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def put(self, key, value, weight: int) -> None:
        self[key] = value
        self.weight += weight
        while self.weight > self.max_weight and len(self) > 1:
            _, old = self.popitem(last=False)
            self.weight -= _weight(old)


def _weight(value) -> int:
    if isinstance(value, tuple):
        return sum(v.size for v in value)
    return int(value.size)


@dataclass
class Segment:
    """Arrays cached for one immutable Whoosh segment (deletions are kept apart)."""

    reader: object
    size: int
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    lengths: dict[str, np.ndarray] = field(default_factory=dict)
    postings: _Lru = field(init=False)
    masks: _Lru = field(init=False)
    codes: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Budgets in array entries: room for the posting lists of ~150 common words (about
        # 50 MB at 100,000 pages) and ~50 filter masks (permission scopes, facet values).
        self.postings = _Lru(max(200_000, 60 * self.size))
        self.masks = _Lru(max(1_000_000, 50 * self.size))

    def column(self, name: str) -> np.ndarray:
        """A numeric column as an int64 array indexed by segment docnum."""
        if name not in self.columns:
            self.columns[name] = _read_numeric_column(self.reader, name, self.size)
        return self.columns[name]

    def field_lengths(self, name: str) -> np.ndarray:
        if name not in self.lengths:
            self.lengths[name] = _read_lengths(self.reader, name, self.size)
        return self.lengths[name]

    def term_postings(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        key = (fieldname, text)
        hit = self.postings.get_item(key)
        if hit is None:
            hit = _read_postings(self.reader, fieldname, text)
            self.postings.put(key, hit, hit[0].size * 2)
        return hit


def _raw_column_bytes(colreader, size: int, width: int) -> bytes | None:
    dbfile = getattr(colreader, "_dbfile", None)
    if dbfile is None:
        return None
    count = min(getattr(colreader, "_count", 0), size)
    return dbfile.get(colreader._basepos, count * width) if count else b""


def _read_numeric_column(reader, name: str, size: int) -> np.ndarray:
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


def _read_lengths(reader, fieldname: str, size: int) -> np.ndarray:
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
    return _LENGTH_TABLE[codes]


def _leaf_matcher(reader, fieldname: str, text: str):
    try:
        matcher = reader.postings(fieldname, text)
    except TermNotFound:
        return None
    while isinstance(matcher, FilterMatcher):  # deletions are applied by the live mask
        matcher = matcher.child
    return matcher


def _read_postings(reader, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """All postings of a term as (docnums, term frequencies), a block at a time."""
    matcher = _leaf_matcher(reader, fieldname, text)
    if matcher is None:
        return _EMPTY_IDS, np.zeros(0, dtype=np.float32)
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


def _read_positions(
    reader, fieldname: str, text: str, docs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Positions of a term in `docs` (sorted docnums that all contain the term).

    Returns flat arrays (index into `docs`, position), one row per occurrence. Whoosh stores
    a posting's positions as a pickled list of deltas; only the blocks holding `docs` are read.
    """
    matcher = _leaf_matcher(reader, fieldname, text)
    values: list[bytes] = []
    if matcher is None:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if not isinstance(matcher, W3LeafMatcher):
        for doc in docs.tolist():
            matcher.skip_to(doc)
            values.append(matcher.value())
    else:
        i, n = 0, docs.size
        while i < n:
            if docs[i] <= matcher._maxid:
                matcher._read_data()
                deltas, _, block_values = matcher._data
                ids = np.cumsum(np.array(deltas, dtype=np.int64))
                upto = int(np.searchsorted(docs, matcher._maxid, side="right"))
                values.extend(block_values[j] for j in np.searchsorted(ids, docs[i:upto]).tolist())
                i = upto
            if i >= n or matcher._lastblock:
                break
            matcher._goto(matcher._nextoffset)
    # A value is a 4-byte count and a pickled list of position deltas (see whoosh.formats).
    lists = [loads(v[4:] if v.endswith(b".") else v[4:] + b".") for v in values]  # noqa: S301
    counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    deltas = np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(counts.sum()))
    running = np.cumsum(deltas)
    first = np.cumsum(counts) - counts  # where each posting's deltas start
    base = np.where(first > 0, running[np.maximum(first - 1, 0)], 0) if running.size else first
    owner = np.repeat(np.arange(len(lists)), counts)
    return owner, running - np.repeat(base, counts)


# ---------------------------------------------------------------------------- evaluation


@dataclass
class Hits:
    """Matching docnums of one segment (sorted, unique) with their scores."""

    ids: np.ndarray
    scores: np.ndarray

    @classmethod
    def empty(cls) -> Hits:
        return cls(_EMPTY_IDS, _EMPTY_SCORES)

    def take(self, keep: np.ndarray) -> Hits:
        return Hits(self.ids[keep], self.scores[keep])


class Stats:
    """Collection-wide statistics for BM25, taken from the top-level searcher."""

    def __init__(self, searcher):
        self.searcher = searcher
        self.doc_count = max(searcher.doc_count_all(), 1)
        self._idf: dict[tuple[str, str], float] = {}
        self._avgfl: dict[str, float] = {}

    def idf(self, fieldname: str, text: str) -> float:
        key = (fieldname, text)
        if key not in self._idf:
            df = self.searcher.doc_frequency(fieldname, text)
            self._idf[key] = math.log(self.doc_count / (df + 1)) + 1
        return self._idf[key]

    def avg_length(self, fieldname: str) -> float:
        if fieldname not in self._avgfl:
            total = self.searcher.field_length(fieldname)
            self._avgfl[fieldname] = (total / self.doc_count) or 1.0
        return self._avgfl[fieldname]


def _bm25(idf: float, tf: np.ndarray, lengths: np.ndarray, avgfl: float) -> np.ndarray:
    tf = tf.astype(np.float64)
    return idf * (tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * lengths / avgfl))


class Evaluator:
    """Evaluates nodes over one segment."""

    def __init__(self, segment: Segment, stats: Stats):
        self.segment = segment
        self.stats = stats

    # dense filters

    def mask(self, node: Node) -> np.ndarray:
        """A boolean array over the segment: which documents match `node`."""
        if isinstance(node, Every):
            return np.ones(self.segment.size, dtype=bool)
        cached = self.segment.masks.get_item(node)
        if cached is None:
            cached = self._compute_mask(node)
            self.segment.masks.put(node, cached, cached.size)
        return cached

    def _compute_mask(self, node: Node) -> np.ndarray:
        size = self.segment.size
        if isinstance(node, NoDocs):
            return np.zeros(size, dtype=bool)
        if isinstance(node, ColumnRange):
            values = self.segment.column(node.column)
            out = np.ones(size, dtype=bool)
            if node.low is not None:
                out &= values >= node.low
            if node.high is not None:
                out &= values <= node.high
            return out
        if isinstance(node, AllOf) and is_filter(node):
            out = np.ones(size, dtype=bool)
            for child in node.children:
                out &= self.mask(child)
            return out
        if isinstance(node, AnyOf) and is_filter(node):
            out = np.zeros(size, dtype=bool)
            for child in node.children:
                out |= self.mask(child)
            return out
        if isinstance(node, Without) and is_filter(node):
            return self.mask(node.positive) & ~self.mask(node.negative)
        out = np.zeros(size, dtype=bool)
        out[self.hits(node).ids] = True
        return out

    # scored matches

    def hits(self, node: Node, within: np.ndarray | None = None) -> Hits:
        """Matching documents with scores; `within` optionally limits costly phrase checks."""
        if isinstance(node, Term):
            return self._term(node)
        if isinstance(node, Phrase):
            return self._phrase(node, within)
        if is_filter(node):
            ids = np.flatnonzero(self.mask(node)).astype(np.int32)
            return Hits(ids, np.zeros(ids.size))
        if isinstance(node, AnyOf):
            return self._union([self.hits(c, within) for c in node.children])
        if isinstance(node, AllOf):
            return self._intersection(node, within)
        if isinstance(node, Without):
            positive = self.hits(node.positive, within)
            return positive.take(~self.mask(node.negative)[positive.ids])
        if isinstance(node, Bonus):
            required = self.hits(node.required, within)
            candidates = required.ids
            if node.best is not None and candidates.size > node.best:
                top = np.argpartition(-required.scores, node.best - 1)[: node.best]
                candidates = np.sort(candidates[top])
            optional = self.hits(node.optional, candidates)
            _, left, right = np.intersect1d(
                required.ids, optional.ids, assume_unique=True, return_indices=True
            )
            scores = required.scores.copy()
            scores[left] += optional.scores[right]
            return Hits(required.ids, scores)
        raise TypeError(f"cannot evaluate {node!r}")

    def _term(self, node: Term) -> Hits:
        ids, tf = self.segment.term_postings(node.field, node.text)
        if ids.size == 0:
            return Hits.empty()
        if is_filter(node):
            return Hits(ids, np.zeros(ids.size))
        idf = self.stats.idf(node.field, node.text)
        lengths = self.segment.field_lengths(node.field)[ids]
        scores = node.boost * _bm25(idf, tf, lengths, self.stats.avg_length(node.field))
        return Hits(ids, scores)

    def _phrase(self, node: Phrase, within: np.ndarray | None) -> Hits:
        if not node.words:
            return Hits.empty()
        if len(node.words) == 1:
            return self._term(Term(node.field, node.words[0], node.boost))
        candidates = within
        for word in dict.fromkeys(node.words):
            ids, _ = self.segment.term_postings(node.field, word)
            candidates = ids if candidates is None else _intersect(candidates, ids)
            if candidates.size == 0:
                return Hits.empty()
        if node.field[:-2] in ITEM_LEVEL_FIELDS:
            # Every page of an item repeats its title, speakers, tags and event: check one
            # page per item and give the others the same count.
            items = self.segment.column("c_item")[candidates]
            _, first, inverse = np.unique(items, return_index=True, return_inverse=True)
            counts = self._phrase_counts(node, candidates[first])[inverse.ravel()]
        else:
            counts = self._phrase_counts(node, candidates)
        keep = counts > 0
        ids = candidates[keep]
        if ids.size == 0:
            return Hits.empty()
        idf = sum(self.stats.idf(node.field, w) for w in node.words)
        lengths = self.segment.field_lengths(node.field)[ids]
        scores = node.boost * _bm25(idf, counts[keep], lengths, self.stats.avg_length(node.field))
        return Hits(ids, scores)

    def _phrase_counts(self, node: Phrase, candidates: np.ndarray) -> np.ndarray:
        """How often the phrase occurs in each candidate, matching positions as arrays."""
        shift = np.int64(1) << 32
        starts = None
        reader = self.segment.reader
        decoded: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for offset, word in enumerate(node.words):
            if word not in decoded:
                decoded[word] = _read_positions(reader, node.field, word, candidates)
            owner, positions = decoded[word]
            # Sorted and unique already: owners ascend, and positions ascend within an owner.
            keys = owner * shift + (positions - offset + shift // 2)
            starts = keys if starts is None else _sorted_common(starts, keys)
            if starts.size == 0:
                break
        return np.bincount(starts // shift, minlength=candidates.size).astype(np.float64)

    def _union(self, parts: list[Hits]) -> Hits:
        parts = [p for p in parts if p.ids.size]
        if not parts:
            return Hits.empty()
        if len(parts) == 1:
            return parts[0]
        total = np.zeros(self.segment.size, dtype=np.float64)
        present = np.zeros(self.segment.size, dtype=bool)
        for part in parts:
            total[part.ids] += part.scores  # ids are unique within a part
            present[part.ids] = True
        ids = np.flatnonzero(present).astype(np.int32)
        return Hits(ids, total[ids])

    def _intersection(self, node: AllOf, within: np.ndarray | None) -> Hits:
        filters = [c for c in node.children if is_filter(c)]
        scorers = [c for c in node.children if not is_filter(c)]
        # Phrases last, so that their position checks only run on the survivors.
        scorers.sort(key=lambda c: isinstance(c, Phrase | Bonus))
        result: Hits | None = None
        for child in scorers:
            limit = within if result is None else result.ids
            part = self.hits(child, limit)
            if result is None:
                result = part
            else:
                common, left, right = np.intersect1d(
                    result.ids, part.ids, assume_unique=True, return_indices=True
                )
                result = Hits(common.astype(np.int32), result.scores[left] + part.scores[right])
            if result.ids.size == 0:
                return result
        if result is None:
            return self.hits(AllOf(tuple(filters)) if len(filters) > 1 else filters[0])
        for child in filters:
            result = result.take(self.mask(child)[result.ids])
        return result


def _sorted_common(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Values in both sorted, duplicate-free arrays (binary search, no re-sorting)."""
    if a.size > b.size:
        a, b = b, a
    where = np.searchsorted(b, a)
    found = where < b.size
    found[found] = b[where[found]] == a[found]
    return a[found]


def _intersect(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.intersect1d(a, b, assume_unique=True).astype(np.int32)


# ---------------------------------------------------------------------------- whole index


class IndexView:
    """One consistent view of the index: a Whoosh searcher and its segments' arrays."""

    def __init__(self, searcher, cache: dict[str, Segment]):
        self.searcher = searcher
        self.stats = Stats(searcher)
        self.parts: list[tuple[Segment, int, np.ndarray]] = []
        seen = set()
        for reader, offset in searcher.reader().leaf_readers():
            if reader.segment() is None:  # Whoosh's reader of an empty index
                continue
            segid = reader.segment().segment_id()
            seen.add(segid)
            segment = cache.get(segid)
            if segment is None:
                segment = cache[segid] = Segment(reader, reader.doc_count_all())
            segment.reader = reader  # the newest reader object for this segment's files
            self.parts.append((segment, offset, _live_mask(reader)))
        for segid in set(cache) - seen:
            del cache[segid]

    def match(self, node: Node) -> MatchSet:
        """Every live document matching `node`, with scores."""
        parts = []
        for segment, offset, live in self.parts:
            hits = Evaluator(segment, self.stats).hits(node)
            hits = hits.take(live[hits.ids])
            parts.append((segment, offset, hits))
        return MatchSet(self, parts)


def _live_mask(reader) -> np.ndarray:
    live = np.ones(reader.doc_count_all(), dtype=bool)
    if reader.has_deletions():
        deleted = np.fromiter(reader.segment().deleted_docs(), dtype=np.int64)
        live[deleted] = False
    return live


@dataclass
class MatchSet:
    """The matches of a query across segments, kept per segment for column look-ups."""

    view: IndexView
    parts: list[tuple[Segment, int, Hits]]

    def __len__(self) -> int:
        return sum(h.ids.size for _, _, h in self.parts)

    def docnums(self) -> np.ndarray:
        return np.concatenate(
            [h.ids.astype(np.int64) + off for _, off, h in self.parts] or [_EMPTY_IDS]
        )

    def scores(self) -> np.ndarray:
        return np.concatenate([h.scores for _, _, h in self.parts] or [_EMPTY_SCORES])

    def column(self, name: str) -> np.ndarray:
        return np.concatenate(
            [seg.column(name)[h.ids] for seg, _, h in self.parts] or [_EMPTY_IDS]
        ).astype(np.int64)

    def flags(self, node: Node) -> np.ndarray:
        """For each match, whether it also matches the filter `node`."""
        return np.concatenate(
            [Evaluator(seg, self.view.stats).mask(node)[h.ids] for seg, _, h in self.parts]
            or [np.zeros(0, dtype=bool)]
        )

    def subset(self, keep: np.ndarray) -> MatchSet:
        parts, start = [], 0
        for seg, off, hits in self.parts:
            n = hits.ids.size
            parts.append((seg, off, hits.take(keep[start : start + n])))
            start += n
        return MatchSet(self.view, parts)

    def term_counts(self, fieldname: str, keep: np.ndarray) -> dict[str, int]:
        """How many matches (where `keep` is True) hold each term of an ID/KEYWORD field."""
        counts: dict[str, int] = {}
        start = 0
        for seg, _, hits in self.parts:
            docs, codes, vocabulary = _term_table(seg, fieldname)
            n = hits.ids.size
            if docs.size and n:
                where = np.minimum(np.searchsorted(hits.ids, docs), n - 1)
                inside = hits.ids[where] == docs
                rows = where[inside]
                chosen = codes[inside][keep[start + rows]]
                for code, count in enumerate(np.bincount(chosen, minlength=len(vocabulary))):
                    if count:
                        counts[vocabulary[code]] = counts.get(vocabulary[code], 0) + int(count)
            start += n
        return counts


def _term_table(segment: Segment, fieldname: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Every (docnum, term code) pair of a small-vocabulary field in one segment, cached."""
    if fieldname not in segment.codes:
        vocabulary = [b.decode("utf-8") for b in segment.reader.lexicon(fieldname)]
        docs, codes = [], []
        for code, text in enumerate(vocabulary):
            ids, _ = segment.term_postings(fieldname, text)
            docs.append(ids)
            codes.append(np.full(ids.size, code, dtype=np.int32))
        if docs:
            all_docs, all_codes = np.concatenate(docs), np.concatenate(codes)
            order = np.argsort(all_docs, kind="stable")
            segment.codes[fieldname] = (all_docs[order], all_codes[order], vocabulary)
        else:
            segment.codes[fieldname] = (_EMPTY_IDS, np.zeros(0, dtype=np.int32), [])
    return segment.codes[fieldname]
