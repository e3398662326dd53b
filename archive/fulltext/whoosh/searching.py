"""One `SearchPage` from one view of the Whoosh index: matches, facets, groups, snippets.

The query node and the scope filter are evaluated once into a match set (`view.MatchSet`);
facet counts, group ranks, totals, snippets and the did-you-mean suggestion are all computed
from it, so none of them can reach past the user's `AccessScope` (see `results`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from archive.fulltext.documents import PHOTO, PRESENTATION
from archive.fulltext.messages import Message
from archive.fulltext.results import (
    FACET_LIMIT,
    FACETS,
    FACETS_WITHIN_EVENT,
    LANGUAGE_NAMES,
    TYPE_LABELS,
    FacetValue,
    PageHit,
    PageMatches,
    PhotoHit,
    ResultGroup,
    SearchPage,
    SearchRequest,
    clamped,
)
from archive.fulltext.snippets import Highlighter
from archive.fulltext.whoosh.compiler import compile_query, scope_filter
from archive.fulltext.whoosh.nodes import Term, all_of, any_of
from archive.fulltext.whoosh.schema import KIND_CODES, KIND_NAMES
from archive.fulltext.whoosh.suggest import suggest
from archive.fulltext.whoosh.view import IndexView, MatchSet


@dataclass
class _Matched:
    """A request's matches before and after its facet selections."""

    compiled: object  # compiler.CompiledQuery
    scope: object  # the scope's filter node
    base: MatchSet
    flags: dict[str, np.ndarray]
    final: MatchSet
    notices: list[Message]


def _match(view: IndexView, request: SearchRequest) -> _Matched:
    """The query and the scope evaluated once; the selections applied on top."""
    scope = scope_filter(request.scope)
    compiled = compile_query(request.text, view.searcher.reader(), view.scope_counter(scope))
    base = view.match(all_of([compiled.node, scope]))
    notices = list(compiled.notices)
    flags = _selection_flags(base, request.filters, notices)
    final_mask = np.ones(len(base), dtype=bool)
    for flag in flags.values():
        final_mask &= flag
    return _Matched(compiled, scope, base, flags, base.subset(final_mask), notices)


def match_pages(view: IndexView, request: SearchRequest, item_id: int) -> PageMatches:
    """The pages of one presentation that the request matches, in page order."""
    matched = _match(view, clamped(request))
    final = matched.final
    mine = (final.column("c_item") == item_id) & (
        final.column("c_kind") == KIND_CODES[PRESENTATION]
    )
    pages = np.unique(final.column("c_page")[mine])
    return PageMatches(item_id, tuple(int(p) for p in pages), matched.compiled.terms)


def run_search(view: IndexView, request: SearchRequest) -> SearchPage:
    """Answer one request from one consistent view of the index."""
    request = clamped(request)
    matched = _match(view, request)
    compiled, scope, base, final = matched.compiled, matched.scope, matched.base, matched.final
    notices = matched.notices
    facets = _facets(view, base, matched.flags, request.filters)
    highlighter = Highlighter(compiled.terms)
    groups, total_groups, photos, total_photos = _results(view, final, request, highlighter)
    suggestion = None
    if len(final) <= 3:
        suggestion = suggest(view, compiled, scope)
    return SearchPage(
        query_text=request.text,
        groups=groups,
        photos=photos,
        total_groups=total_groups,
        total_hits=len(final),
        page=request.page,
        per_page=request.per_page,
        facets=facets,
        suggestion=suggestion,
        notice=" ".join(dict.fromkeys(notices)) or None,
        notices=tuple(dict.fromkeys(notices)),
        terms=compiled.terms,
        total_photos=total_photos,
        sort=request.sort,
        photos_per_page=request.photos_per_page,
    )


# ---------------------------------------------------------------------------- facets


def _selection_flags(
    base: MatchSet, filters: dict[str, tuple[str, ...]], notices: list[str]
) -> dict[str, np.ndarray]:
    """For each facet with a selection, which matches it keeps (OR within the facet)."""
    flags: dict[str, np.ndarray] = {}
    for name, values in filters.items():
        if name == "event":
            ids = [int(v) for v in values if v.isdigit()]
            flags[name] = np.isin(base.column("c_event"), ids)
        elif name == "year":
            years = [int(v) for v in values if v.isdigit()]
            flags[name] = np.isin(base.column("c_year"), years)
        elif name == "session":
            ids = [int(v) for v in values if v.isdigit()]
            flags[name] = np.isin(base.column("c_session"), ids)
        elif name == "type":
            codes = [KIND_CODES[v] for v in values if v in KIND_CODES]
            flags[name] = np.isin(base.column("c_kind"), codes)
        elif name in ("lang", "org", "speaker"):
            flags[name] = base.flags(any_of(Term(name, v, 0.0) for v in values))
        else:
            notices.append(Message("The filter “%(name)s” is unknown and was ignored.", name=name))
    return flags


def _facets(
    view: IndexView,
    base: MatchSet,
    flags: dict[str, np.ndarray],
    filters: dict[str, tuple[str, ...]],
) -> dict[str, list[FacetValue]]:
    """Every facet, each counted with the other facets' selections applied (not its own)."""
    facets = {}
    masks: dict[tuple[str, ...], _FacetMask] = {}  # facets without a selection share one
    for name in FACETS:
        if name in FACETS_WITHIN_EVENT and "event" not in filters:
            continue
        others = tuple(other for other in flags if other != name)
        if others not in masks:
            mask = np.ones(len(base), dtype=bool)
            for other in others:
                mask &= flags[other]
            masks[others] = _FacetMask(base, mask)
        facets[name] = _facet(view, base, name, masks[others], filters.get(name, ()))
    return facets


class _FacetMask:
    """The matches one facet counts, and (computed once) one of them per item."""

    def __init__(self, base: MatchSet, mask: np.ndarray):
        self.base = base
        self.mask = mask
        self._one_per_item: np.ndarray | None = None

    def one_per_item(self) -> np.ndarray:
        """Indices into the masked matches: the first match of each item."""
        if self._one_per_item is None:
            items = self.base.column("c_item")[self.mask]
            self._one_per_item = np.unique(items, return_index=True)[1]
        return self._one_per_item

    def one_per_item_mask(self) -> np.ndarray:
        """The first match of each item, as flags over all matches."""
        flags = np.zeros(self.mask.size, dtype=bool)
        flags[np.flatnonzero(self.mask)[self.one_per_item()]] = True
        return flags


def _facet(
    view: IndexView, base: MatchSet, name: str, counted: _FacetMask, selected: tuple[str, ...]
) -> list[FacetValue]:
    """One facet's values with counts of matching items: the most frequent first (years
    newest first), and every selected value even when it has no match left."""
    if name in ("lang", "org", "speaker"):
        # Organisations and speakers are the item's (on every page alike): one match per
        # item says the same and is fewer to count. A page's language is the page's own.
        keep = counted.mask if name == "lang" else counted.one_per_item_mask()
        counts = base.term_item_counts(name, keep, base.column("c_item"))
        pairs = [(v, c) for v, c in counts.items() if v]
    else:
        column = {"event": "c_event", "year": "c_year", "type": "c_kind", "session": "c_session"}[
            name
        ]
        # Event, year, kind and session are the same on every page of an item (schema's
        # _common_fields), so one match per item carries the item's value: an item counts
        # once, not once per page.
        values = base.column(column)[counted.mask][counted.one_per_item()]
        uniq, counts = np.unique(values, return_counts=True)
        pairs = [(int(v), int(c)) for v, c in zip(uniq, counts, strict=True) if v]
        if name == "type":
            pairs = [(_kind_name(v), c) for v, c in pairs]
        else:
            pairs = [(str(v), c) for v, c in pairs]
    if name == "year":
        pairs.sort(key=lambda p: p[0], reverse=True)
    else:
        pairs.sort(key=lambda p: (-p[1], p[0]))
    shown = pairs[:FACET_LIMIT]
    present = {v for v, _ in shown}
    shown += [(v, dict(pairs).get(v, 0)) for v in selected if v not in present]
    labels = _labels(view, base, name, [v for v, _ in shown])
    return [FacetValue(v, labels.get(v, v), c, v in selected) for v, c in shown]


def _kind_name(code: int) -> str:
    """The item kind stored as `code` in the c_kind column."""
    return KIND_NAMES.get(code, str(code))


def _labels(view: IndexView, base: MatchSet, name: str, values: list[str]) -> dict[str, str]:
    """What a facet value is shown as: a type's or language's name, an event's title."""
    if name == "type":
        return {v: TYPE_LABELS.get(v, v) for v in values}
    if name == "lang":
        return {v: LANGUAGE_NAMES.get(v, v) for v in values}
    if name not in ("event", "session") or not values:
        return {}
    column, stored = {
        "event": ("c_event", "event_title"),
        "session": ("c_session", "session_label"),
    }[name]
    # the first match of each value: np.unique returns the index of its first occurrence
    present, first = np.unique(base.column(column), return_index=True)
    at = dict(zip(present.tolist(), first.tolist(), strict=True))
    docnums = base.docnums()
    labels = {}
    for value in values:
        if value.isdigit() and int(value) in at:  # a typed ?event=x is no event
            labels[value] = view.stored(int(docnums[at[int(value)]])).get(stored) or value
    return labels


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True)
class _Rows:
    """The final matches' columns, read once: entry i of each array is match i."""

    kinds: np.ndarray
    items: np.ndarray
    dates: np.ndarray
    pages: np.ndarray
    scores: np.ndarray  # rounded, so that float noise never decides a tie
    docnums: np.ndarray
    runs: np.ndarray  # the complete page of the page's overlay run, or 0

    @classmethod
    def of(cls, final: MatchSet) -> _Rows:
        return cls(
            kinds=final.column("c_kind"),
            items=final.column("c_item"),
            dates=final.column("c_date"),
            pages=final.column("c_page"),
            scores=np.round(final.scores(), 9),
            docnums=final.docnums(),
            runs=final.column("c_run"),
        )


def _results(view: IndexView, final: MatchSet, request: SearchRequest, highlighter: Highlighter):
    """This page's presentation groups and photos, with the totals of both."""
    rows = _Rows.of(final)
    groups, total_groups = _groups(view, rows, request, highlighter)
    photos, total_photos = _photos(view, rows, request, highlighter)
    return groups, total_groups, photos, total_photos


def _groups(
    view: IndexView, rows: _Rows, request: SearchRequest, highlighter: Highlighter
) -> tuple[list[ResultGroup], int]:
    """Matching pages grouped by presentation, ranked by their best page, one page of them."""
    pres = np.flatnonzero(rows.kinds == KIND_CODES[PRESENTATION])
    order = pres[np.lexsort((rows.pages[pres], -rows.scores[pres], rows.items[pres]))]
    starts = np.flatnonzero(np.r_[True, np.diff(rows.items[order]) != 0]) if order.size else order
    sizes = np.diff(np.r_[starts, order.size])
    best = order[starts]
    ranking = _rank(rows.scores[best], rows.dates[best], rows.items[best], request.sort)
    first = (request.page - 1) * request.per_page
    groups = []
    for g in ranking[first : first + request.per_page]:
        members = order[starts[g] : starts[g] + sizes[g]]
        hits = _collapse_runs(rows, members)
        shown = [
            _page_hit(view, int(rows.docnums[m]), score, highlighter, first_page)
            for m, score, first_page in hits[: request.pages_per_group]
        ]
        groups.append(_group(view, int(rows.docnums[members[0]]), shown, len(hits) - 1))
    return groups, int(best.size)


def _collapse_runs(rows: _Rows, members: np.ndarray) -> list[tuple[int, float, int | None]]:
    """One group's matches (best first) as hits: (row shown, score, first page of a run).

    The matching pages of one overlay run become one hit where the run's best page ranked,
    shown on the run's complete page when that page matches too."""
    if not rows.runs[members].any():  # no overlay run among them: every page is a hit
        return [(m, float(rows.scores[m]), None) for m in members.tolist()]
    hits: list[list] = []
    runs: dict[int, list] = {}
    for m in members.tolist():
        run, page = int(rows.runs[m]), int(rows.pages[m])
        if not run:
            hits.append([m, float(rows.scores[m]), None])
        elif run in runs:
            hit = runs[run]
            hit[2] = min(hit[2], page)
            if page == run or int(rows.pages[hit[0]]) != run and page > rows.pages[hit[0]]:
                hit[0] = m  # the complete page, or the most complete one that matched
        else:
            runs[run] = hit = [m, float(rows.scores[m]), page]
            hits.append(hit)
    return [(m, score, first if first != rows.pages[m] else None) for m, score, first in hits]


def _group(view: IndexView, docnum: int, shown: list[PageHit], more_count: int) -> ResultGroup:
    """One presentation's result, its fields read from its best page's stored fields."""
    stored = view.stored(docnum)
    return ResultGroup(
        item_id=int(stored["item_id"]),
        title=stored["title"],
        event_id=int(stored["event_id"]),
        event_title=stored["event_title"],
        event_slug=stored["event_slug"],
        speakers=tuple(stored["speakers"]),
        best=shown[0],
        more=shown[1:],
        more_count=more_count,
        session_label=stored.get("session_label") or "",
    )


def _photos(
    view: IndexView, rows: _Rows, request: SearchRequest, highlighter: Highlighter
) -> tuple[list[PhotoHit], int]:
    """This page's part of the photo strip, ranked like the groups."""
    photo_rows = np.flatnonzero(rows.kinds == KIND_CODES[PHOTO])
    ranking = _rank(
        rows.scores[photo_rows], rows.dates[photo_rows], rows.items[photo_rows], request.sort
    )
    first = (request.page - 1) * request.photos_per_page
    photos = [
        _photo_hit(view, int(rows.docnums[m]), highlighter)
        for m in photo_rows[ranking][first : first + request.photos_per_page]
    ]
    return photos, int(photo_rows.size)


def _rank(scores: np.ndarray, dates: np.ndarray, items: np.ndarray, sort: str) -> np.ndarray:
    """Indices in display order; np.lexsort sorts by its last key first."""
    if sort == "newest":
        return np.lexsort((items, -scores, -dates))
    if sort == "oldest":
        undated_last = np.where(dates == 0, date.max.toordinal() + 1, dates)
        return np.lexsort((items, -scores, undated_last))
    return np.lexsort((-items, -dates, -scores))


def _page_hit(
    view: IndexView,
    docnum: int,
    score: float,
    highlighter: Highlighter,
    first_page: int | None = None,
) -> PageHit:
    """One matching page (or overlay run, shown on its complete page) with its snippet."""
    stored = view.stored(docnum)
    return PageHit(
        page=int(stored["page"]),
        label=stored.get("label"),
        score=score,
        snippet=highlighter.snippet(stored.get("text") or ""),
        recognised=bool(stored.get("recognised")),
        first_page=first_page,
    )


def _photo_hit(view: IndexView, docnum: int, highlighter: Highlighter) -> PhotoHit:
    """One matching photo; its caption is the snippet when the text is empty."""
    stored = view.stored(docnum)
    return PhotoHit(
        item_id=int(stored["item_id"]),
        title=stored["title"],
        event_id=int(stored["event_id"]),
        snippet=highlighter.snippet(stored.get("text") or stored["title"]),
        session_label=stored.get("session_label") or "",
        recognised=bool(stored.get("recognised")),
    )
