"""The search page: query box, facets with removable chips, results grouped by presentation,
photos as a grid; with nothing searched, a place to start browsing. Every matching page of
one presentation has a list of its own (`deck_matches`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from flask import Blueprint, render_template, request, url_for
from flask_babel import lazy_gettext
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from archive import permissions, searches
from archive.extensions import db
from archive.fulltext import SYNTAX_HELP, FacetValue, SearchRequest
from archive.fulltext.results import SORTS
from archive.fulltext.snippets import Highlighter
from archive.guards import load_or_404, require_login
from archive.models import Event, Item, ItemState, Page, Photo, Presentation
from archive.programme.finding import ProgrammeHit, find_sessions
from archive.services import current_index
from archive.web import places
from archive.web.labels import language_name, translate

bp = Blueprint("search", __name__, url_prefix="/search")
bp.before_request(require_login)

FACET_TITLES = {
    "type": lazy_gettext("Type"),
    "event": lazy_gettext("Event"),
    "year": lazy_gettext("Year"),
    "speaker": lazy_gettext("Speaker"),
    "org": lazy_gettext("Organisation"),
    "lang": lazy_gettext("Language"),
    "session": lazy_gettext("Session"),
}
SORT_NAMES = {
    "relevance": lazy_gettext("Relevance"),
    "newest": lazy_gettext("Newest"),
    "oldest": lazy_gettext("Oldest"),
}
# Facets besides these leave the programme out: only items have types, years, languages.
PROGRAMME_FACETS = ("event", "session")
MATCHES_PER_PAGE = 20
RECENT = 8


@dataclass(frozen=True)
class SearchState:
    """What the person searched for, read from the URL; carried to the viewer and back."""

    text: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    verbatim: bool = False  # the text exactly as typed: no automatic correction

    @property
    def searched(self) -> bool:
        return bool(self.text or self.filters)

    def request(self, **changes) -> SearchRequest:
        return SearchRequest(
            text=self.text,
            scope=permissions.search_scope(current_user),
            filters=self.filters,
            sort=self.sort,
            page=self.page,
            autocorrect=not self.verbatim,
            **changes,
        )

    def url_args(self) -> dict:
        """The state as URL arguments for the viewer (the results page number as `rpage`)."""
        args: dict = dict(self.filters)
        if self.text:
            args["q"] = self.text
        if self.sort != "relevance":
            args["sort"] = self.sort
        if self.page > 1:
            args["rpage"] = self.page
        if self.verbatim:
            args["verbatim"] = 1
        return args

    def results_url(self) -> str:
        args = {k: v for k, v in self.url_args().items() if k != "rpage"}
        return url_for("search.results", page=self.page if self.page > 1 else None, **args)


def read_state(args: MultiDict, page_arg: str = "page") -> SearchState:
    """The search state in `args` (read as `searches` reads it for the API too);
    `page_arg` names the results page's argument."""
    sort = args.get("sort", "relevance")
    return SearchState(
        text=searches.query_text(args),
        filters=searches.facet_filters(args),
        sort=sort if sort in SORTS else "relevance",
        page=max(1, min(args.get(page_arg, 1, type=int) or 1, 10_000)),
        verbatim=bool(args.get("verbatim")),
    )


@bp.get("/")
def results():
    state = read_state(request.args)
    if not state.searched:
        return render_template("search/start.html", **browse_start(), **page_context(state))
    page = current_index().search(state.request(per_page=searches.PER_PAGE))
    sessions = places.session_names(page)
    typed = state.text
    if page.corrected_from:  # links to the viewer and pages carry the corrected words
        state = replace(state, text=page.query_text, verbatim=True)
    return render_template(
        "search/results.html",
        result=page,
        searched=True,
        programme_hits=programme_hits(page.query_text, state.filters, page.page),
        places=places.hit_places(page),
        facet_label=lambda name, value: facet_label(name, value, sessions),
        **page_context(state, typed),
    )


def facet_label(name: str, value: FacetValue, sessions: dict[str, str]) -> str:
    """How a facet value reads in the request's language."""
    if name == "lang":
        return language_name(value.value)
    if name == "session":
        return translate(sessions.get(value.value, value.label))
    return translate(value.label)


def page_context(state: SearchState, typed: str | None = None) -> dict:
    """What the search page's parts need; `typed` is the text in the box (the words typed,
    also when the results are those of a correction)."""
    return {
        "state": state,
        "text": state.text if typed is None else typed,
        "sort": state.sort,
        "sorts": SORTS,
        "sort_names": SORT_NAMES,
        "facet_titles": FACET_TITLES,
        "syntax_help": SYNTAX_HELP,
        "toggle_url": toggle_url,
        "page_url": page_url,
    }


def browse_start() -> dict:
    """Recent events and uploads and what the archive holds, all within the user's access."""
    visible_events = permissions.event_filter(current_user)
    visible_items = permissions.item_filter(current_user)
    events = db.session.scalars(
        select(Event)
        .where(visible_events)
        .order_by(Event.start_date.desc().nulls_last(), Event.id.desc())
        .limit(6)
    ).all()
    uploads = db.session.scalars(
        select(Item)
        .where(visible_items, Item.status == ItemState.READY)
        .order_by(Item.created_at.desc(), Item.id.desc())
        .limit(RECENT)
    ).all()
    counts = {
        "events": db.session.scalar(select(func.count()).select_from(Event).where(visible_events)),
        "presentations": count_items(Presentation, visible_items),
        "pages": db.session.scalar(
            select(func.coalesce(func.sum(Presentation.page_count), 0)).where(
                visible_items, Presentation.status == ItemState.READY
            )
        ),
        "photos": count_items(Photo, visible_items),
    }
    return {"events": events, "uploads": uploads, "counts": counts}


def count_items(kind, visible) -> int:
    return db.session.scalar(
        select(func.count()).select_from(kind).where(visible, kind.status == ItemState.READY)
    )


@bp.get("/presentations/<int:item_id>")
def deck_matches(item_id: int):
    """Every page of one presentation that the search matches, a screen at a time."""
    deck = load_or_404(Presentation, item_id, permissions.may_view_item)
    state = read_state(request.args, page_arg="rpage")
    matches = current_index().match_pages(state.request(), deck.id)
    number = max(1, request.args.get("page", 1, type=int))
    shown = matches.pages[(number - 1) * MATCHES_PER_PAGE : number * MATCHES_PER_PAGE]
    texts = dict(
        db.session.execute(
            select(Page.number, Page.text).where(Page.item_id == deck.id, Page.number.in_(shown))
        ).all()
    )
    highlighter = Highlighter(matches.terms)
    rows = [(n, highlighter.snippet(texts.get(n, ""))) for n in shown]
    page_count = max(1, -(-len(matches.pages) // MATCHES_PER_PAGE))
    return render_template(
        "search/deck_matches.html",
        deck=deck,
        state=state,
        rows=rows,
        total=len(matches.pages),
        number=min(number, page_count),
        page_count=page_count,
        labels={p.number: p.label for p in deck.pages if p.number in set(shown)},
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
