"""Full-text search over the archive's slide pages and photos (Whoosh underneath).

Callers pass plain dataclasses in and get dataclasses out; nothing here imports Flask or
the database. The app creates one `SearchIndex(path)` per process and shares it::

    index = SearchIndex(app.config["INDEX_DIR"])
    index.index_item(item_doc, pages)                     # after the database commit
    page = index.search(SearchRequest("digital divide", scope=search_scope(user)))

Modules: `analysis` (tokeniser, folding, stemming), `schema` (fields, SCHEMA_VERSION, item ->
documents), `query` (the search-box language, SYNTAX_HELP, the permission filter), `engine`
(NumPy evaluation over Whoosh segments), `results` (grouping, facets, snippets -> SearchPage),
`suggest` (did you mean), `snippets` (highlighting), `store` (SearchIndex: locking,
generations, rebuild).
"""

from archive.fulltext.documents import PHOTO, PRESENTATION, ItemDoc, PageText
from archive.fulltext.errors import (
    FulltextError,
    IndexBusyError,
    IndexCorruptError,
    RebuildError,
    RebuildInProgressError,
    SchemaVersionError,
)
from archive.fulltext.query import SYNTAX_HELP
from archive.fulltext.results import (
    FacetValue,
    PageHit,
    PhotoHit,
    ResultGroup,
    SearchPage,
    SearchRequest,
)
from archive.fulltext.schema import SCHEMA_VERSION
from archive.fulltext.scope import AccessScope
from archive.fulltext.snippets import highlight_text
from archive.fulltext.store import RebuildReport, SearchIndex

__all__ = [
    "PHOTO",
    "PRESENTATION",
    "SCHEMA_VERSION",
    "SYNTAX_HELP",
    "AccessScope",
    "FacetValue",
    "FulltextError",
    "IndexBusyError",
    "IndexCorruptError",
    "ItemDoc",
    "PageHit",
    "PageText",
    "PhotoHit",
    "RebuildError",
    "RebuildInProgressError",
    "RebuildReport",
    "ResultGroup",
    "SchemaVersionError",
    "SearchIndex",
    "SearchPage",
    "SearchRequest",
    "highlight_text",
]
