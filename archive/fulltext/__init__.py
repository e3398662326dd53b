"""Full-text search over the archive's slide pages and photos, behind one backend interface.

Callers pass plain dataclasses in and get dataclasses out; nothing here imports Flask, the
database or any other part of the application (only the stdlib helpers of `archive.fileio`).
The app opens one backend per process and shares it::

    index = open_backend("whoosh", path=app.config["INDEX_DIR"])
    index.index_item(item_doc, pages)                     # after the database commit
    page = index.search(SearchRequest("digital divide", scope=search_scope(user)))

Engine-neutral modules, importable without any search engine's library:

- `backend`: the `SearchBackend` protocol, `open_backend()`, `RebuildReport`, `IndexStats`.
- `documents`: what callers index (`ItemDoc`, `PageText`).
- `scope`: `AccessScope`, what one user's search may reach (built by `archive.permissions`).
- `results`: `SearchRequest` in, `SearchPage` (groups, photos, facets) out.
- `parser`: the search-box language -> syntax tree, `SYNTAX_HELP`, filter values.
- `analysis`: tokenising, accent folding and stemming, shared by indexing and queries.
- `snippets`: highlighted snippets and page text (`highlight_text`).
- `messages`: `Message`, sentences for people that the application can translate.
- `overlays`: Beamer overlay runs found from page texts, shown as one hit.
- `errors`: the typed errors, each with a message a person can act on.

Backends: `whoosh` (`archive.fulltext.whoosh`: Whoosh stores the index, NumPy evaluates
queries over its segments; see that package's docstring for its modules).
"""

from archive.fulltext.backend import (
    BACKENDS,
    IndexedAccess,
    IndexStats,
    ItemPages,
    RebuildReport,
    SearchBackend,
    open_backend,
)
from archive.fulltext.documents import PHOTO, PRESENTATION, ItemDoc, PageText
from archive.fulltext.errors import (
    FulltextError,
    IndexBusyError,
    IndexCorruptError,
    RebuildError,
    RebuildInProgressError,
    SchemaVersionError,
    UnknownBackendError,
    UnsupportedWhooshVersion,
)
from archive.fulltext.messages import Message
from archive.fulltext.parser import SYNTAX_HELP
from archive.fulltext.results import (
    FacetValue,
    PageHit,
    PageMatches,
    PhotoHit,
    ResultGroup,
    SearchPage,
    SearchRequest,
)
from archive.fulltext.scope import AccessScope
from archive.fulltext.snippets import highlight_text

__all__ = [
    "BACKENDS",
    "PHOTO",
    "PRESENTATION",
    "SYNTAX_HELP",
    "AccessScope",
    "FacetValue",
    "FulltextError",
    "IndexBusyError",
    "IndexCorruptError",
    "IndexStats",
    "IndexedAccess",
    "ItemDoc",
    "ItemPages",
    "Message",
    "PageHit",
    "PageMatches",
    "PageText",
    "PhotoHit",
    "RebuildError",
    "RebuildInProgressError",
    "RebuildReport",
    "ResultGroup",
    "SchemaVersionError",
    "SearchBackend",
    "SearchPage",
    "SearchRequest",
    "UnknownBackendError",
    "UnsupportedWhooshVersion",
    "highlight_text",
    "open_backend",
]
