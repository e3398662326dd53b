"""The Whoosh backend of `archive.fulltext`: Whoosh stores, NumPy scores.

Modules, from the disk up:

- `tokenizer`: the archive's tokeniser (`archive.fulltext.analysis`) as a Whoosh analyzer.
- `postings`: the lean representation: exact counts, folded varint positions, the codec.
- `schema`: fields, SCHEMA_VERSION, and the one function from an item to its documents.
- `internals`: every use of Whoosh's private API, and the check of the Whoosh version.
- `generations`: the index folder: generations, the CURRENT pointer, journal, locks.
- `nodes`: the query nodes the compiler produces and the evaluator runs.
- `compiler`: syntax tree (`archive.fulltext.parser`) -> nodes; the permission filter.
- `evaluator`: nodes over one segment with NumPy: matches, BM25F scores, filter masks.
- `view`: one consistent view of all segments, and the match set of a query.
- `searching`: one SearchPage from a view: facets, groups, snippets.
- `suggest`: did-you-mean from the index vocabulary, within the user's scope.
- `store`: `SearchIndex`, the backend itself: reading, writing, rebuild-then-swap.
"""

from archive.fulltext.whoosh.schema import SCHEMA_VERSION
from archive.fulltext.whoosh.store import SearchIndex

__all__ = ["SCHEMA_VERSION", "SearchIndex"]
