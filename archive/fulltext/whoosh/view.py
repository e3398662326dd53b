"""The whole index as one consistent view, and the match set a search is computed from.

An `IndexView` holds one Whoosh searcher and, for each of its segments, the cached arrays
(`evaluator.Segment`), the docnum offset and the live (not deleted) mask. `match()` runs a
node over every segment; the resulting `MatchSet` keeps its hits per segment so that columns
(item, event, kind, dates) are looked up per segment as arrays: grouping, totals and facets
are array operations over the complete set of matches, so their counts are exact.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from archive.fulltext.whoosh.evaluator import EMPTY_SCORES, Evaluator, Hits, Segment, Stats
from archive.fulltext.whoosh.internals import EMPTY_IDS, live_mask
from archive.fulltext.whoosh.nodes import Every, Node

STORED_KEPT = 2048  # stored documents kept per view (a page's text is a few kB)


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
            self.parts.append((segment, offset, live_mask(reader)))
        for segid in set(cache) - seen:
            del cache[segid]
        self._stored: OrderedDict[int, dict] = OrderedDict()

    def stored(self, docnum: int) -> dict:
        """A document's stored fields, kept for the view's life (the most recent
        STORED_KEPT): a group, its best page and a facet label often read the same one,
        and a repeated search reads the same pages again."""
        fields = self._stored.get(docnum)
        if fields is None:
            fields = self._stored[docnum] = self.searcher.stored_fields(docnum)
            if len(self._stored) > STORED_KEPT:
                self._stored.popitem(last=False)
        else:
            self._stored.move_to_end(docnum)
        return fields

    def scope_counter(self, scope: Node) -> Callable[[str, str], int] | None:
        """How many live documents within `scope` hold a term; None for an unrestricted
        scope (every document counts, and the index's own statistics say as much)."""
        if isinstance(scope, Every):
            return None
        allowed = [
            (segment, live & Evaluator(segment, self.stats).mask(scope))
            for segment, _, live in self.parts
        ]

        def count(fieldname: str, text: str) -> int:
            total = 0
            for segment, mask in allowed:
                ids, _ = segment.term_postings(fieldname, text)
                if ids.size:
                    total += int(np.count_nonzero(mask[ids]))
            return total

        return count

    def match(self, node: Node) -> MatchSet:
        """Every live document matching `node`, with scores."""
        parts = []
        for segment, offset, live in self.parts:
            hits = Evaluator(segment, self.stats).hits(node)
            hits = hits.take(live[hits.ids])
            parts.append((segment, offset, hits))
        return MatchSet(self, parts)


@dataclass
class MatchSet:
    """The matches of a query across segments, kept per segment for column look-ups."""

    view: IndexView
    parts: list[tuple[Segment, int, Hits]]
    _columns: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        """How many documents match."""
        return sum(h.ids.size for _, _, h in self.parts)

    def docnums(self) -> np.ndarray:
        """Index-wide docnums of the matches, for stored fields."""
        return np.concatenate(
            [h.ids.astype(np.int64) + off for _, off, h in self.parts] or [EMPTY_IDS]
        )

    def scores(self) -> np.ndarray:
        """The matches' scores, in the order of `docnums()`."""
        return np.concatenate([h.scores for _, _, h in self.parts] or [EMPTY_SCORES])

    def column(self, name: str) -> np.ndarray:
        """A numeric column's values for the matches, in the order of `docnums()` (kept:
        grouping and every facet ask for the same columns)."""
        if name not in self._columns:
            self._columns[name] = np.concatenate(
                [seg.column(name)[h.ids] for seg, _, h in self.parts] or [EMPTY_IDS]
            ).astype(np.int64)
        return self._columns[name]

    def flags(self, node: Node) -> np.ndarray:
        """For each match, whether it also matches the filter `node`."""
        return np.concatenate(
            [Evaluator(seg, self.view.stats).mask(node)[h.ids] for seg, _, h in self.parts]
            or [np.zeros(0, dtype=bool)]
        )

    def subset(self, keep: np.ndarray) -> MatchSet:
        """The matches where `keep` (one flag per match) is True."""
        parts, start = [], 0
        for seg, off, hits in self.parts:
            n = hits.ids.size
            parts.append((seg, off, hits.take(keep[start : start + n])))
            start += n
        return MatchSet(self.view, parts)

    def term_item_counts(
        self, fieldname: str, keep: np.ndarray, items: np.ndarray
    ) -> dict[str, int]:
        """How many distinct items (`items`: one id per match) have a match where `keep` is
        True that holds each term of an ID/KEYWORD field."""
        vocabulary: dict[str, int] = {}  # term -> code, the same in every segment
        keys = []
        start = 0
        for seg, _, hits in self.parts:
            docs, codes, words = _term_table(seg, fieldname)
            n = hits.ids.size
            if docs.size and n:
                row_of = np.full(seg.size, -1, dtype=np.int64)  # docnum -> match row
                row_of[hits.ids] = np.arange(start, start + n)
                rows = row_of[docs]
                inside = rows >= 0
                rows = rows[inside]
                kept = keep[rows]
                code = np.array([vocabulary.setdefault(w, len(vocabulary)) for w in words])
                keys.append((code[codes[inside][kept]].astype(np.int64) << 32) | items[rows[kept]])
            start += n
        if not keys:
            return {}
        # one key per (term, item): an item counts once however many of its pages match
        counts = np.bincount(np.unique(np.concatenate(keys)) >> 32, minlength=len(vocabulary))
        return {term: int(counts[c]) for term, c in vocabulary.items() if counts[c]}


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
            segment.codes[fieldname] = (EMPTY_IDS, np.zeros(0, dtype=np.int32), [])
    return segment.codes[fieldname]
