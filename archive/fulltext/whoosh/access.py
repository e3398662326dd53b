"""What the index says about each item's access fields: visibility, event and grants.

`flask check` compares these with the database, so that a stale write (an old visibility
or grant list written over a newer one) is found and `--repair` re-indexes the item. Every
value is read per live document; an item whose pages disagree shows every value found.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from archive.fulltext.backend import IndexedAccess
from archive.fulltext.whoosh.view import IndexView


def indexed_access(view: IndexView) -> dict[int, IndexedAccess]:
    """For every indexed item: the visibilities, events and granted organisations on its
    documents (grants: those on every one of its documents, plus a marker if they differ)."""
    visibilities: dict[int, set[str]] = defaultdict(set)
    events: dict[int, set[int]] = defaultdict(set)
    grant_docs: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    doc_counts: dict[int, int] = defaultdict(int)
    for segment, _, live in view.parts:
        items = segment.column("c_item")
        for item_id, event_id in set(
            zip(items[live].tolist(), segment.column("c_event")[live].tolist(), strict=True)
        ):
            events[item_id].add(event_id)
        for item_id, count in zip(*np.unique(items[live], return_counts=True), strict=True):
            doc_counts[int(item_id)] += int(count)
        for value, item_ids in _term_items(segment, live, "vis"):
            for item_id in set(item_ids):
                visibilities[item_id].add(value)
        for value, item_ids in _term_items(segment, live, "grant"):
            for item_id in item_ids:
                grant_docs[item_id][int(value)] += 1
    return {
        item_id: IndexedAccess(
            visibilities=frozenset(visibilities[item_id]),
            event_ids=frozenset(events[item_id]),
            granted_org_ids=frozenset(
                org for org, n in grant_docs[item_id].items() if n == doc_counts[item_id]
            ),
            consistent=all(n == doc_counts[item_id] for n in grant_docs[item_id].values()),
        )
        for item_id in doc_counts
    }


def _term_items(segment, live: np.ndarray, fieldname: str):
    """(term, item id of each live document holding it) for every term of an ID field."""
    items = segment.column("c_item")
    for raw in segment.reader.lexicon(fieldname):
        ids, _ = segment.term_postings(fieldname, raw.decode("utf-8"))
        ids = ids[live[ids]]
        yield raw.decode("utf-8"), items[ids].tolist()
