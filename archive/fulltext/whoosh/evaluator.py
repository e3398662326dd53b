"""Query nodes evaluated over one Whoosh segment with NumPy: matches, BM25F scores, masks.

Whoosh stores the index (segments, postings, columns, stored fields) and handles writing,
merging and locking; this module scores and filters. A term's posting list is read a block
at a time into arrays (see `internals`) and cached per segment, BM25 is computed vectorised,
and filters become boolean masks over the segment, cached by node. Segments are immutable,
so their arrays stay valid until a merge drops the segment; deletions are applied apart
(`view`), because they change without the segment changing.

Scores follow Whoosh's BM25F model: one BM25 per field with the field's weight as the
query boost, summed over fields and words; a phrase scores like a term whose frequency is
the number of phrase occurrences and whose idf is the sum of its words' idfs.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from archive.fulltext.whoosh.internals import (
    EMPTY_IDS,
    PositionValues,
    decode_varint_deltas,
    read_field_lengths,
    read_numeric_column,
    read_postings,
    read_postings_with_values,
)
from archive.fulltext.whoosh.nodes import (
    AllOf,
    AnyOf,
    Bonus,
    ColumnRange,
    Every,
    Node,
    NoDocs,
    Phrase,
    Term,
    Without,
    is_filter,
)

K1 = 1.2
B = 0.75
ITEM_LEVEL_FIELDS = frozenset({"title", "people", "orgs", "tags", "event"})  # same on every page
EMPTY_SCORES = np.zeros(0, dtype=np.float64)
POSITIONAL = "_s"  # the folded fields keep positions (schema, postings.CompactPositions)


class _Lru(OrderedDict):
    """A least-recently-used cache bounded by the total weight its entries were put with
    (array entries: a posting list's ids and frequencies, a mask's flags)."""

    def __init__(self, max_weight: int):
        super().__init__()
        self.max_weight = max_weight
        self.weight = 0
        self.weights: dict = {}

    def get_item(self, key):
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def put(self, key, value, weight: int) -> None:
        self.weight += weight - self.weights.get(key, 0)
        self[key] = value
        self.move_to_end(key)
        self.weights[key] = weight
        while self.weight > self.max_weight and len(self) > 1:
            old, _ = self.popitem(last=False)
            self.weight -= self.weights.pop(old)


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
            self.columns[name] = read_numeric_column(self.reader, name, self.size)
        return self.columns[name]

    def field_lengths(self, name: str) -> np.ndarray:
        """Each document's length in a text field, as BM25 needs it."""
        if name not in self.lengths:
            self.lengths[name] = read_field_lengths(self.reader, name, self.size)
        return self.lengths[name]

    def term_values(self, fieldname: str, text: str) -> tuple[np.ndarray, PositionValues]:
        """(docnums, raw posting values) of a positional term, kept like the postings."""
        key = (fieldname, text, "values")
        hit = self.postings.get_item(key)
        if hit is None:
            ids, weights, values = read_postings_with_values(self.reader, fieldname, text)
            if self.postings.get_item((fieldname, text)) is None:
                self.postings.put((fieldname, text), (ids, weights), ids.size * 2)
            hit = (ids, values)
            # positions: a few bytes each, plus an 8-byte offset (two ids' room in all)
            self.postings.put(key, hit, ids.size * 4)
        return hit

    def term_postings(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(docnums, term frequencies) of a term, read once and then kept while it is used."""
        key = (fieldname, text)
        hit = self.postings.get_item(key)
        if hit is None:
            if fieldname.endswith(POSITIONAL):
                # The same blocks hold the positions: keep them for a phrase (the phrase
                # bonus of two words typed side by side) instead of reading them again.
                ids, weights, values = read_postings_with_values(self.reader, fieldname, text)
                self.postings.put((fieldname, text, "values"), (ids, values), ids.size * 4)
                hit = (ids, weights)
            else:
                hit = read_postings(self.reader, fieldname, text)
            self.postings.put(key, hit, hit[0].size * 2)
        return hit


@dataclass
class Hits:
    """Matching docnums of one segment (sorted, unique) with their scores."""

    ids: np.ndarray
    scores: np.ndarray

    @classmethod
    def empty(cls) -> Hits:
        """No matches."""
        return cls(EMPTY_IDS, EMPTY_SCORES)

    def take(self, keep: np.ndarray) -> Hits:
        """The matches where `keep` is True."""
        return Hits(self.ids[keep], self.scores[keep])


class Stats:
    """Collection-wide statistics for BM25, taken from the top-level searcher."""

    def __init__(self, searcher):
        self.searcher = searcher
        self.doc_count = max(searcher.doc_count_all(), 1)
        self._idf: dict[tuple[str, str], float] = {}
        self._avgfl: dict[str, float] = {}

    def idf(self, fieldname: str, text: str) -> float:
        """Whoosh's BM25 idf over the whole index, so that every segment scores alike."""
        key = (fieldname, text)
        if key not in self._idf:
            df = self.searcher.doc_frequency(fieldname, text)
            self._idf[key] = math.log(self.doc_count / (df + 1)) + 1
        return self._idf[key]

    def avg_length(self, fieldname: str) -> float:
        """Average field length over the whole index (1.0 for an empty field)."""
        if fieldname not in self._avgfl:
            total = self.searcher.field_length(fieldname)
            self._avgfl[fieldname] = (total / self.doc_count) or 1.0
        return self._avgfl[fieldname]


def _bm25(idf: float, tf: np.ndarray, lengths: np.ndarray, avgfl: float) -> np.ndarray:
    """Whoosh's BM25F formula for one field, over arrays."""
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
        """A filter's mask: columns compared, masks combined, or a scored node's matches."""
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
        """A term's postings, scored by BM25 unless the term is a filter."""
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
        """Documents holding every word (within `within`), then positions checked in them."""
        if not node.words:
            return Hits.empty()
        if len(node.words) == 1:
            return self._term(Term(node.field, node.words[0], node.boost))
        candidates = within
        for word in dict.fromkeys(node.words):
            ids, _ = self.segment.term_values(node.field, word)
            candidates = ids if candidates is None else _intersect(candidates, ids)
            if candidates.size == 0:
                return Hits.empty()
        if node.field[:-2] in ITEM_LEVEL_FIELDS:
            # Every page of an item repeats its title, speakers, tags and event: check one
            # page per item and give the others the same count.
            items = self.segment.column("c_item")[candidates]
            _, first, inverse = np.unique(items, return_index=True, return_inverse=True)
            # np.unique orders by item id; positions are read in docnum order, and a
            # re-indexed item's pages come after higher ids' (once a 500 mid-ingestion).
            order = np.argsort(first)
            per_item = np.empty(first.size, dtype=np.float64)
            per_item[order] = self._phrase_counts(node, candidates[first[order]])
            counts = per_item[inverse.ravel()]
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
        decoded: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for offset, word in enumerate(node.words):
            if word not in decoded:
                ids, values = self.segment.term_values(node.field, word)
                rows = np.searchsorted(ids, candidates)  # every candidate holds it
                decoded[word] = decode_varint_deltas(*values.select(rows))
            owner, positions = decoded[word]
            # Sorted and unique already: owners ascend, and positions ascend within an owner.
            keys = owner * shift + (positions - offset + shift // 2)
            starts = keys if starts is None else _sorted_common(starts, keys)
            if starts.size == 0:
                break
        return np.bincount(starts // shift, minlength=candidates.size).astype(np.float64)

    def _union(self, parts: list[Hits]) -> Hits:
        """Documents in any part, with the scores of the parts that hold them added up."""
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
        """Scored children narrowed one after another, then filters applied as masks."""
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
    """Docnums in both sorted, unique arrays."""
    return np.intersect1d(a, b, assume_unique=True).astype(np.int32)
