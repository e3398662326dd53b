"""The search page: query box, facets, results grouped by presentation, photo strip."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from archive import permissions, searches
from archive.fulltext import SYNTAX_HELP
from archive.fulltext.results import SORTS
from archive.guards import require_login
from archive.programme.finding import ProgrammeHit, find_sessions

bp = Blueprint("search", __name__, url_prefix="/search")
bp.before_request(require_login)

FACET_TITLES = {
    "type": "Type",
    "event": "Event",
    "year": "Year",
    "org": "Organisation",
    "lang": "Language",
    "session": "Session",
}
# Facets besides these leave the programme out: only items have types, years, languages.
PROGRAMME_FACETS = ("event", "session")


@bp.get("/")
def results():
    """The search page; the API's /api/v1/search answers the same query from the same code."""
    page = searches.run_search(request.args, current_user)
    return render_template(
        "search/results.html",
        result=page,
        searched=searches.searched(request.args),
        text=searches.query_text(request.args),
        sort=page.sort,
        sorts=SORTS,
        facet_titles=FACET_TITLES,
        syntax_help=SYNTAX_HELP,
        toggle_url=toggle_url,
        page_url=page_url,
        programme_hits=programme_hits(
            searches.query_text(request.args), searches.facet_filters(request.args), page.page
        ),
    )


def programme_hits(text: str, filters: dict, page: int) -> list[ProgrammeHit]:
    """Sessions and talks matching the words, on the first page, in the events this user
    may see (and the event facet's selection); none when a facet only items have is set."""
    if not text or page > 1 or set(filters) - set(PROGRAMME_FACETS):
        return []
    event_ids = [int(v) for v in filters.get("event", ()) if v.isdigit()] or None
    hits = find_sessions(text, permissions.event_filter(current_user), event_ids)
    sessions = {int(v) for v in filters.get("session", ()) if v.isdigit()}
    return [h for h in hits if h.session.id in sessions] if sessions else hits


def current_args() -> MultiDict:
    return MultiDict(request.args.items(multi=True))


def toggle_url(facet: str, value: str) -> str:
    """The URL with one facet value added or removed (and back to the first page)."""
    args = current_args()
    values = args.getlist(facet)
    args.setlist(facet, [v for v in values if v != value] if value in values else values + [value])
    args.pop("page", None)
    return url_for("search.results", **args.to_dict(flat=False))


def page_url(number: int, **changes) -> str:
    args = current_args()
    args["page"] = str(number)
    for key, value in changes.items():
        args[key] = value
    return url_for("search.results", **args.to_dict(flat=False))
