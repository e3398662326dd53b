"""The search backend interface the application calls, and the factory that opens one by name.

Views, API, CLI and tasks only use the methods of `SearchBackend`; which engine answers is
a setting (`open_backend(name, **settings)`), so another engine is a new module under
`archive.fulltext` and a line in `BACKENDS`, with no change to its callers.

The chosen backend's module is imported by name when it is opened, not at import time: a
deployment needs only its own engine's library, and the engine-neutral modules (documents,
scope, parser, analysis, results, snippets, this one) import none.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from archive.fulltext.documents import ItemDoc, PageText
from archive.fulltext.errors import UnknownBackendError
from archive.fulltext.results import PageMatches, SearchPage, SearchRequest
from archive.fulltext.scope import AccessScope

ItemPages = tuple[ItemDoc, Sequence[PageText]]

# name -> (module, class); the class is called with the settings given to open_backend().
BACKENDS: dict[str, tuple[str, str]] = {
    "whoosh": ("archive.fulltext.whoosh", "SearchIndex"),
    "postgresql": ("archive.fulltext.postgres", "PostgresIndex"),
}


@dataclass
class RebuildReport:
    """What a rebuild did; `failed` lists (item id, reason) of items left out."""

    generation: str
    items: int = 0
    documents: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(frozen=True)
class IndexStats:
    """What an index holds and where, for status pages and checks."""

    backend: str  # the name open_backend() knows it by
    location: str  # where the documents live: a folder, or a database table
    generation: str | None  # the build in use, for a backend that swaps whole builds
    schema_version: int  # of the document layout; a mismatch needs a rebuild
    documents: int  # live documents: one per page, one per photo
    items: int  # distinct items (presentations and photos)
    size_bytes: int  # on disk


@dataclass(frozen=True)
class IndexedAccess:
    """The access fields the index holds for one item, for checks against the database.

    Sets, because an item's documents could disagree after a bad write; `granted_org_ids`
    are the organisations on every document, and `consistent` is False if some documents
    carry grants others lack."""

    visibilities: frozenset[str]
    event_ids: frozenset[int]
    granted_org_ids: frozenset[int]
    consistent: bool = True


@runtime_checkable
class SearchBackend(Protocol):
    """One process's handle on the full-text index; create one per process and share it.

    Writes are called after the database commit (the index is a cache of the database) and
    are idempotent: indexing an item replaces all of its documents. A page's
    `PageText.unsure` words (low-confidence OCR) are searchable like the others but never
    suggested by `suggest` or a page's `suggestion` unless found in scope where they are
    not unsure; `PageText.recognised` comes back as `PageHit.recognised` /
    `PhotoHit.recognised`. Reads never see what the
    request's `AccessScope` hides. Errors are `FulltextError` subclasses with a message an
    operator can act on.

    Writers read the database inside `writing()`: a writer that read rows, then waited for
    the index, would otherwise write them over a newer writer's documents (a visibility
    narrowed to staff, then widened again by the stale write). `item_access()` lets
    integrity checks find any such drift.
    """

    def writing(self) -> AbstractContextManager[None]:
        """Hold the index's write lock, across processes, for a block that reads the
        database and then writes; the write methods called inside it take it again
        (re-entrant in one thread)."""

    def index_items(self, batch: Iterable[ItemPages]) -> None:
        """Replace the documents of many items in one commit."""

    def index_item(self, item: ItemDoc, pages: Sequence[PageText]) -> None:
        """Replace every document of `item` with its current pages, atomically."""

    def remove_item(self, item_id: int) -> None:
        """Remove every document of one item; searches after this call no longer find it."""

    def remove_event(self, event_id: int) -> None:
        """Remove every document of every item of one event."""

    def search(self, request: SearchRequest) -> SearchPage:
        """Search within `request.scope`; never raises for malformed query text."""

    def match_pages(self, request: SearchRequest, item_id: int) -> PageMatches:
        """Every page of presentation `item_id` that `request` matches within its scope."""

    def suggest(self, text: str, scope: AccessScope) -> str | None:
        """A spelling correction of `text` that finds something within `scope`, or None."""

    def rebuild(
        self, items: Iterable[ItemPages], progress: Callable[[int], None] | None = None
    ) -> RebuildReport:
        """Build a complete new index from `items`, then swap it in; the old one serves meanwhile.

        `progress(n)` is called with the number of items done so far. Items whose documents
        cannot be built are left out and listed in the report; any other failure raises
        RebuildError and leaves the index in use untouched.
        """

    def check(self) -> None:
        """Raise a FulltextError if the index cannot be used; safe before workers fork."""

    def stats(self) -> IndexStats:
        """Counts, size and location of the index in use."""

    def item_ids(self) -> set[int]:
        """Ids of every indexed item, for integrity checks against the database."""

    def item_access(self) -> dict[int, IndexedAccess]:
        """Visibility, event and grants of every indexed item, as its documents say."""

    def doc_count(self) -> int:
        """Live documents (pages and photos) in the index."""

    def warm_up(self) -> None:
        """Load what the first search would, so that no user waits for it."""

    def close(self) -> None:
        """Release open files and caches; the next call reopens them."""


def open_backend(name: str, **settings: object) -> SearchBackend:
    """The search backend called `name`, created with its `settings` (e.g. `path=`)."""
    if name not in BACKENDS:
        known = ", ".join(sorted(BACKENDS))
        raise UnknownBackendError(
            f"Unknown search backend {name!r}; this version of Workshop Archive knows: {known}."
        )
    module_name, class_name = BACKENDS[name]
    backend_class = getattr(importlib.import_module(module_name), class_name)
    return backend_class(**settings)
