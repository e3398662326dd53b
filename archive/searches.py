"""A search as a request asks for it: the query string read once, for the search page and
the API alike, and run within the user's permissions (`permissions.search_scope`).

Both answer the same `q`, facet filters (`type`, `event`, `year`, `speaker`, `org`, `lang`, and
`session` within an event, repeatable), `sort`, `page` and `verbatim` (no automatic
correction); the page shows PER_PAGE presentations, the API up to MAX_PER_PAGE. So a
page and an API answer for the same query and user hold the same results, counts and facets.
"""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from archive import permissions
from archive.fulltext import SearchPage, SearchRequest
from archive.fulltext.results import FACETS, MAX_PER_PAGE, SORTS
from archive.services import current_index

PER_PAGE = 10
MAX_QUERY = 500  # characters of query text
MAX_VALUES = 20  # selected values per facet


def search_request(args: MultiDict, user, per_page: int = PER_PAGE) -> SearchRequest:
    """The SearchRequest that query-string `args` ask for, within `user`'s scope."""
    sort = args.get("sort", "relevance")
    return SearchRequest(
        text=query_text(args),
        scope=permissions.search_scope(user),
        filters=facet_filters(args),
        sort=sort if sort in SORTS else "relevance",
        page=max(1, args.get("page", 1, type=int) or 1),
        per_page=min(max(1, per_page), MAX_PER_PAGE),
        autocorrect=not args.get("verbatim"),  # "search instead for" asks for the text
    )


def query_text(args: MultiDict) -> str:
    return args.get("q", "").strip()[:MAX_QUERY]


def facet_filters(args: MultiDict) -> dict[str, tuple[str, ...]]:
    filters = {n: tuple(args.getlist(n))[:MAX_VALUES] for n in FACETS if args.getlist(n)}
    if "event" not in filters:
        filters.pop("session", None)  # a session belongs to one event: no event, no session
    return filters


def run_search(args: MultiDict, user, per_page: int = PER_PAGE) -> SearchPage:
    """Search as `args` ask, for `user`."""
    return current_index().search(search_request(args, user, per_page))


def searched(args: MultiDict) -> bool:
    """Whether anything was asked for (text or a facet), as opposed to an empty form."""
    return bool(query_text(args) or facet_filters(args))
