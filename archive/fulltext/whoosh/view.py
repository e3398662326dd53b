"""The whole index as one consistent view, and the match set a search is computed from.

An `IndexView` holds one Whoosh searcher and, for each of its segments, the cached arrays
(`evaluator.Segment`), the docnum offset and the live (not deleted) mask. `match()` runs a
node over every segment; the resulting `MatchSet` keeps its hits per segment so that columns
(item, event, kind, dates) are looked up per segment as arrays: grouping, totals and facets
are array operations over the complete set of matches, so their counts are exact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from archive.fulltext.whoosh.evaluator import EMPTY_SCORES, Evaluator, Hits, Segment, Stats
from archive.fulltext.whoosh.internals import EMPTY_IDS, live_mask
from archive.fulltext.whoosh.nodes import Every, Node


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
        """A numeric column's values for the matches, in the order of `docnums()`."""
        return np.concatenate(
            [seg.column(name)[h.ids] for seg, _, h in self.parts] or [EMPTY_IDS]
        ).astype(np.int64)

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
        pairs: set[tuple[str, int]] = set()
        start = 0
        for seg, _, hits in self.parts:
            docs, codes, vocabulary = _term_table(seg, fieldname)
            n = hits.ids.size
            if docs.size and n:
                where = np.minimum(np.searchsorted(hits.ids, docs), n - 1)
                inside = hits.ids[where] == docs
                rows = start + where[inside]
                kept = keep[rows]
                keys = np.unique((codes[inside][kept].astype(np.int64) << 32) | items[rows[kept]])
                terms = [vocabulary[c] for c in (keys >> 32).tolist()]
                pairs.update(zip(terms, (keys & 0xFFFFFFFF).tolist(), strict=True))
            start += n
        counts: dict[str, int] = {}
        for term, _ in pairs:
            counts[term] = counts.get(term, 0) + 1
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
            segment.codes[fieldname] = (EMPTY_IDS, np.zeros(0, dtype=np.int32), [])
    return segment.codes[fieldname]
