"""The output contract of a search, the same for every backend: request in, `SearchPage` out.

What a backend must compute so that results can never show what the user's `AccessScope`
hides: everything on the page comes from one set of matches that already carries the scope.

- Results are grouped by presentation. A group's rank is its best page's score (or its date
  when sorting by newest/oldest), ties broken by recency; groups are paginated.
  `pages_per_group` is how many hits a group shows, the best one included; `more_count`
  is how many matching hits the presentation has besides the best one. A hit is a page, or
  the matching pages of one overlay run shown on its complete page (`PageHit.first_page`).
- Photos come separately, `photos_per_page` per results page.
- Facet counts are matching items (a presentation counts once however many of its pages
  match; a photo once). Selections combine with AND across facets and OR within one; each
  facet's counts ignore that facet's own selection so that more values of it can be added.
  The year is the event's year (a photo's camera date does not move it to another year).
- `match_pages` answers which pages of one presentation match, for the viewer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from markupsafe import Markup

from archive.fulltext.documents import PHOTO, PRESENTATION
from archive.fulltext.messages import Message
from archive.fulltext.scope import AccessScope

SORTS = ("relevance", "newest", "oldest")
FACETS = ("type", "event", "year", "speaker", "org", "lang", "session")
# Facets only computed when the request filters by event: sessions belong to one event.
FACETS_WITHIN_EVENT = ("session",)
FACET_LIMIT = 20
MAX_PER_PAGE = 100
LANGUAGE_NAMES = {
    "az": "Azerbaijani",
    "en": "English",
    "ru": "Russian",
    "kk": "Kazakh",
    "ky": "Kyrgyz",
    "uz": "Uzbek",
    "tg": "Tajik",
    "tk": "Turkmen",
    "tr": "Turkish",
    "ka": "Georgian",
    "hy": "Armenian",
    "uk": "Ukrainian",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "zh": "Chinese",
    "ja": "Japanese",
    "ko": "Korean",
}
TYPE_LABELS = {PRESENTATION: Message("Presentations"), PHOTO: Message("Photos")}


@dataclass(frozen=True)
class SearchRequest:
    """One search: query text (see SYNTAX_HELP), the user's scope and the page wanted.

    `filters` are facet selections by facet name (see FACETS), with values as in
    `FacetValue.value`; the "session" facet (session ids) is returned only when "event" is
    among the filters. `pages_per_group` counts the best page too.
    """

    text: str
    scope: AccessScope
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)  # facet selections
    sort: str = "relevance"  # "relevance" | "newest" | "oldest"
    page: int = 1
    per_page: int = 10
    pages_per_group: int = 3
    photos_per_page: int = 12
    # When nothing matches and the did-you-mean correction finds something, answer with
    # the correction's results at once (`SearchPage.corrected_from` says so); the search page
    # asks for this, its "search instead for" link does not.
    autocorrect: bool = False


@dataclass(frozen=True)
class PageHit:
    """One matching page of a presentation, with its snippet."""

    page: int  # 1-based page number, for the viewer URL
    label: str | None  # printed page label, if the PDF has one
    score: float
    snippet: Markup  # HTML-escaped text; <mark> around hits is the only markup
    recognised: bool = False  # the page's text was (partly) recognised by OCR
    # A Beamer overlay run (see `overlays`) is one hit: `page` is its complete (last) page,
    # `first_page` the first of its matching pages; None for a hit of one page.
    first_page: int | None = None


@dataclass(frozen=True)
class ResultGroup:
    """One presentation in the results: its best matching page and a few more."""

    item_id: int
    title: str
    event_id: int
    event_title: str
    event_slug: str
    speakers: tuple[str, ...]
    best: PageHit
    more: list[PageHit]
    more_count: int  # matching pages besides `best`; len(more) <= more_count
    session_label: str = ""  # where the deck is in its event's programme, if it is


@dataclass(frozen=True)
class PhotoHit:
    """One matching photo, for the strip beside the results."""

    item_id: int
    title: str
    event_id: int
    snippet: Markup
    session_label: str = ""
    recognised: bool = False  # the snippet comes from text recognised on the photo


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet with its count of matches; `selected` if it filters the results."""

    value: str  # what goes back into SearchRequest.filters
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class SearchPage:
    """A page of results; every count and value in it lies within the request's scope."""

    query_text: str
    groups: list[ResultGroup]
    photos: list[PhotoHit]
    total_groups: int  # matching presentations
    total_hits: int  # matching pages + photos
    page: int
    per_page: int
    facets: dict[str, list[FacetValue]]
    suggestion: str | None
    notice: str | None  # the notices below in one English string
    terms: tuple[str, ...]  # words to highlight in the viewer (see highlight_text)
    total_photos: int = 0
    sort: str = "relevance"
    photos_per_page: int = 12
    notices: tuple[Message, ...] = ()  # each a sentence the application may translate
    # Set when the results are those of the suggestion because the text typed found nothing
    # (`SearchRequest.autocorrect`): the text typed; `query_text` is then the correction.
    corrected_from: str | None = None

    @property
    def page_count(self) -> int:
        """Pages of results: enough for every group and every photo."""
        groups = -(-self.total_groups // self.per_page)
        photos = -(-self.total_photos // self.photos_per_page) if self.photos_per_page else 0
        return max(groups, photos, 1)


@dataclass(frozen=True)
class PageMatches:
    """Which pages of one presentation a search matches (ascending), and the words to mark."""

    item_id: int
    pages: tuple[int, ...]
    terms: tuple[str, ...]


def autocorrected(run: Callable[[SearchRequest], SearchPage], request: SearchRequest) -> SearchPage:
    """`run(request)`, or, when that finds nothing and offers a correction, the correction's
    results marked with `corrected_from` ("Showing results for ...; search instead for ...").

    Every backend answers through this, so the rule is the same whatever the engine: the
    correction was already checked to find something within the request's scope.
    """
    page = run(request)
    if not (request.autocorrect and page.total_hits == 0 and page.suggestion):
        return page
    corrected = run(replace(request, text=page.suggestion, autocorrect=False))
    if corrected.total_hits == 0:
        return page
    return replace(corrected, corrected_from=page.query_text, suggestion=None)


def clamped(request: SearchRequest) -> SearchRequest:
    """The request with every number in range and unknown sorts replaced, before any search."""
    return SearchRequest(
        text=request.text or "",
        scope=request.scope,
        filters={k: tuple(v) for k, v in (request.filters or {}).items() if v},
        sort=request.sort if request.sort in SORTS else "relevance",
        page=max(1, int(request.page)),
        per_page=min(max(1, int(request.per_page)), MAX_PER_PAGE),
        pages_per_group=min(max(1, int(request.pages_per_group)), 50),
        photos_per_page=min(max(0, int(request.photos_per_page)), MAX_PER_PAGE),
        autocorrect=bool(request.autocorrect),
    )
