"""The search page: query box, facets, results grouped by presentation, photo strip."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from archive import searches
from archive.fulltext import SYNTAX_HELP
from archive.fulltext.results import SORTS
from archive.guards import require_login

bp = Blueprint("search", __name__, url_prefix="/search")
bp.before_request(require_login)

FACET_TITLES = {
    "type": "Type",
    "event": "Event",
    "year": "Year",
    "org": "Organisation",
    "lang": "Language",
}


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
    )


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
