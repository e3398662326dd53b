"""One `SearchPage` from one SQL statement: matches, totals, facets, groups and snippets.

The statement computes the matches once (query condition AND the scope's condition), then
from them, in the same snapshot: totals, every facet (items counted with the other
facets' selections, not its own; see `facets`), the ranked groups with their best pages,
the photo strip and the snippets. Nothing is filtered after the database answers, so no
count, facet value or snippet can reach past the user's `AccessScope` (see `results`).

Ranking reads each ranked page's whole vector (some kilobytes), the cost of a search that
matches many pages; counting and faceting read only the narrow row. The matches carry the
vector as it is stored, out of line (a pointer of some bytes), so that ranking reads it
without looking the page up again (a third of a ranking's time). So not every match is
ranked: each has a level from its stored words (`schema`). 5 where every searched word is
dominant (in the title, or very often in the text), 4 where every one is strong (in the
title, speakers, tags or programme, or often in the text), 3 where one is dominant, 2 where
one is strong, 1 where one is repeated, else 0 (most matches are 0 or 1: they are told
apart first, with two tests of the page's words instead of five). Every word before one
word: a page that holds all of them prominently comes before one that holds one of them,
much as a search engine rewards a document for each query word it matches; common words
would otherwise put most pages at one level (10,281 pages of 1,230 decks for one two-word
query of the bench, of which 423 pages of 45 decks hold both words). Dominant before
strong: twice the occurrences, in buckets that double like the term-frequency buckets of a
search engine's skip lists, and the title, which the Whoosh backend's BM25F ranks above
many occurrences in the text (the title weighs three times the text there, and the text's
term frequency saturates). For the bench's commonest words, 9,000 to 14,000 pages hold one
strongly and 700 to 2,600 dominantly. The statement ranks the matches of the highest level
whose items alone fill the requested page of groups and of photos, and leaves the others
after them; with at most RANK_ALL matches, or when no level is enough, it ranks every
match. The pages shown of each deck on the page are then ranked again, all of them, so that
a group shows its best pages. Totals and facets always count every match.

Snippets come from `ts_headline` with control characters as hit markers; the text around
them is HTML-escaped here and only the markers become `<mark>`, so no markup of a page ever
reaches a results page. They flow as one line (line breaks and dot leaders collapse), like
the shared `Highlighter`'s, which cuts the snippets of CJK pages.
"""

from __future__ import annotations

from markupsafe import Markup, escape
from psycopg import sql

from archive.fulltext.documents import PRESENTATION
from archive.fulltext.messages import Message
from archive.fulltext.postgres.compiler import Compiled, scope_condition
from archive.fulltext.postgres.facets import facet_counts, facets, selection_flags
from archive.fulltext.postgres.functions import CJK
from archive.fulltext.postgres.rows import HIT_END, HIT_START
from archive.fulltext.postgres.schema import KIND_CODES, PAGES, RANK_WEIGHTS
from archive.fulltext.results import (
    FACETS,
    PageHit,
    PhotoHit,
    ResultGroup,
    SearchPage,
    SearchRequest,
)
from archive.fulltext.snippets import Highlighter, collapsed

SEARCH_TIMEOUT_MS = 20_000
# For the one statement of a search. A sequential scan would read the vector of every page
# to test it, which the planner does not count: the GIN index always answers a text query
# for less. JIT compiling would cost more than the statement saves. The matches of a common
# word (tens of thousands of rows) are kept and sorted in memory, not on disk. Priced for
# spinning disks (random_page_cost 4, the server's default), a partner's search of a common
# word takes the pages of the partner's events from the event index and tests each one's
# vector, read out of line, a cost the planner does not count either; priced as pages in
# memory (1.1, the usual value for SSDs) it ANDs that index with the GIN index and reads no
# vector (a partner's "government" at 100,000 pages: 240 -> 86 ms).
SEARCH_SETTINGS = {
    "statement_timeout": SEARCH_TIMEOUT_MS,
    "enable_seqscan": "off",
    "random_page_cost": 1.1,
    "jit": "off",
    "work_mem": "64MB",
}
ELLIPSIS = "…"
RANK_ALL = 1000  # up to this many matches, every one is ranked
# Added to the score of a page whose title holds the typed words side by side: a deck titled
# "Open Data Portal" ranks above a manual that repeats the words on every page.
TITLE_PHRASE_BONUS = 3.0
_ALIGNED = {"\x04": "<", "\x05": ">", "\x06": "&"}  # as schema.aligned() moved them
HEADLINE = (
    f"StartSel={HIT_START}, StopSel={HIT_END}, MaxWords=35, MinWords=20, ShortWord=0, "
    "HighlightAll=false, MaxFragments=0"
)
ORDERS = {
    "relevance": "score DESC, item_date DESC, item_id DESC",
    "newest": "item_date DESC, score DESC, item_id",
    "oldest": "item_date = 0, item_date, score DESC, item_id",
}
STATEMENT = """
WITH q AS MATERIALIZED (SELECT {rank}::tsquery AS tsq, {title_phrase}::tsquery AS title_phrase),
w AS MATERIALIZED (SELECT tsq, title_phrase, {s}.any_word(tsq) AS words,
                           {s}.all_words(tsq) AS every FROM q),
base AS MATERIALIZED (
  SELECT p.item_id, p.page, p.kind, p.event_id, p.event_title, p.year, p.lang, p.orgs,
         p.speakers, p.session_id, p.session_label, p.item_date, p.run, p.doc,
         CASE WHEN NOT p.strong @@ w.words THEN CASE WHEN p.repeated @@ w.words THEN 1 ELSE 0 END
              WHEN p.dominant @@ w.every THEN 5 WHEN p.strong @@ w.every THEN 4
              WHEN p.dominant @@ w.words THEN 3 ELSE 2 END AS level, {flags}
  FROM {pages} p, w WHERE ({where}) AND ({scope})),
final AS MATERIALIZED (SELECT * FROM base WHERE {all_flags}),
facet_rows AS MATERIALIZED (
  SELECT item_id, min(event_id) AS event_id, min(event_title) AS event_title, min(year) AS year,
         min(kind) AS kind, lang, min(session_id) AS session_id,
         min(session_label) AS session_label, min(orgs) AS orgs, min(speakers) AS speakers,
         {flag_names}, count(*) AS n, max(level) AS level
  FROM base GROUP BY item_id, lang, {flag_names}),
items AS MATERIALIZED (SELECT item_id, min(kind) AS kind, sum(n)::bigint AS n,
                              max(level) AS level
                       FROM facet_rows WHERE {all_flags} GROUP BY item_id),
plan AS MATERIALIZED (
  SELECT CASE WHEN sum(n) <= {rank_all} THEN 0 {deck_levels} ELSE 0 END AS decks,
         CASE WHEN sum(n) <= {rank_all} THEN 0 {photo_levels} ELSE 0 END AS photos
  FROM items),
scored AS MATERIALIZED (
  SELECT f.item_id, f.page, f.kind, f.item_date,
         CASE WHEN f.level >= CASE WHEN f.kind = 1 THEN plan.decks ELSE plan.photos END
              THEN {score} ELSE -1 END AS score
  FROM final f, plan, w),
pres AS (SELECT item_id, max(score) AS score, max(item_date) AS item_date
         FROM scored WHERE kind = 1 GROUP BY item_id),
ranked AS (SELECT item_id, row_number() OVER (ORDER BY {order}) AS pos FROM pres),
shown AS (SELECT item_id, pos FROM ranked WHERE pos > {offset} AND pos <= {offset} + {per_page}),
shown_pages AS (
  SELECT s.pos, x.item_id, x.page, x.score, CASE WHEN x.run > 0 THEN x.run ELSE x.page END AS hit
  FROM shown s CROSS JOIN LATERAL (SELECT f.item_id, f.page, f.run, {score} AS score
                                   FROM final f, w WHERE f.item_id = s.item_id) x),
shown_hits AS (
  SELECT pos, item_id, max(page) AS page, nullif(min(page), max(page)) AS first_page,
         max(score) AS score, (array_agg(page ORDER BY score DESC, page))[1] AS lead
  FROM shown_pages GROUP BY pos, item_id, hit),
ranked_hits AS (
  SELECT *, row_number() OVER (PARTITION BY item_id ORDER BY score DESC, lead) AS rn,
         count(*) OVER (PARTITION BY item_id) AS n
  FROM shown_hits),
photos AS (SELECT item_id, page, row_number() OVER (ORDER BY {order}) AS pos
           FROM scored WHERE kind = 2),
hits AS (
  SELECT sp.pos AS group_pos, sp.rn, NULL::bigint AS photo_pos, sp.n, sp.item_id, sp.page,
         sp.score, sp.first_page
  FROM ranked_hits sp WHERE sp.rn <= {per_group}
  UNION ALL
  SELECT NULL, NULL, ph.pos, NULL, ph.item_id, ph.page, 0, NULL
  FROM photos ph WHERE ph.pos > {photo_offset} AND ph.pos <= {photo_offset} + {per_photos}),
shown_rows AS MATERIALIZED (
  SELECT h.*, p.label, p.title, p.speakers, p.event_id, p.event_title, p.event_slug,
         p.session_label, p.recognised, p.config,
         CASE WHEN p.body = '' AND p.kind = 2 THEN p.title ELSE p.body END AS text
  FROM hits h JOIN {pages} p ON p.item_id = h.item_id AND p.page = h.page),
shown_texts AS MATERIALIZED (SELECT r.*, r.text ~ {cjk} AS cjk FROM shown_rows r),
aligned AS MATERIALIZED (
  SELECT r.*, CASE WHEN NOT r.cjk THEN {s}.aligned(r.text) END AS aligned FROM shown_texts r),
marked AS MATERIALIZED (
  SELECT a.*, CASE WHEN NOT a.cjk THEN ts_headline(a.config, a.aligned,
                                                   coalesce(q.tsq, ''::tsquery), {headline})
              END AS marked
  FROM aligned a, q),
plain AS MATERIALIZED (SELECT m.*, translate(m.marked, {markers}, '') AS plain FROM marked m),
snippets AS (SELECT p.*, strpos(p.aligned, p.plain) AS at, length(p.plain) AS len FROM plain p)
SELECT
  (SELECT count(*) FROM final),
  (SELECT count(*) FROM items WHERE kind = 1),
  (SELECT count(*) FROM items WHERE kind = 2),
  (SELECT coalesce(json_agg(f), '[]') FROM ({facets}) f),
  (SELECT coalesce(json_agg(json_build_object(
      'group', h.group_pos, 'rn', h.rn, 'photo', h.photo_pos, 'n', h.n, 'item', h.item_id,
      'page', h.page, 'score', h.score, 'label', h.label, 'title', h.title,
      'speakers', h.speakers, 'event', h.event_id, 'event_title', h.event_title,
      'event_slug', h.event_slug, 'session_label', h.session_label,
      'recognised', h.recognised, 'snippet', h.marked, 'first_page', h.first_page,
      'cjk_text', CASE WHEN h.cjk THEN h.text END,
      'original', CASE WHEN h.at > 0 THEN substr(h.text, h.at, h.len) END,
      'lead', h.at > 1, 'tail', h.at > 0 AND h.at + h.len - 1 < length(h.text))
      ORDER BY h.group_pos, h.rn, h.photo_pos), '[]')
   FROM snippets h)
"""
# The pages of one deck that a search matches, with the same selections (for the viewer).
MATCH_PAGES = """
SELECT p.page FROM {pages} p
WHERE p.item_id = {item} AND p.kind = {kind} AND ({where}) AND ({scope}) AND {flags}
ORDER BY p.page
"""


def statement(compiled: Compiled, request: SearchRequest, schema: str, notices: list[Message]):
    """The one statement that answers `request`, composed from the compiled query."""
    flags = selection_flags(request.filters, notices)
    if compiled.rank is None:
        rank, score = sql.SQL("NULL"), sql.SQL("0::real")
    else:
        rank = sql.SQL("({})").format(compiled.rank)
        score = sql.SQL(
            "ts_rank_cd({w}, f.doc, w.tsq) "
            "+ CASE WHEN f.doc @@ w.title_phrase THEN {bonus} ELSE 0 END"
        ).format(w=sql.Literal(RANK_WEIGHTS), bonus=sql.Literal(TITLE_PHRASE_BONUS))
    names = [f"f_{name}" for name in FACETS]
    return sql.SQL(STATEMENT).format(
        rank=rank,
        title_phrase=compiled.title_phrase or sql.SQL("NULL"),
        score=score,
        pages=sql.SQL("{s}.{t}").format(s=sql.Identifier(schema), t=sql.Identifier(PAGES)),
        where=compiled.where,
        scope=scope_condition(request.scope),
        flags=sql.SQL(", ").join(
            sql.SQL("{} AS {}").format(
                flags.get(name, sql.SQL("TRUE")), sql.Identifier(f"f_{name}")
            )
            for name in FACETS
        ),
        all_flags=sql.SQL(" AND ".join(names)),
        flag_names=sql.SQL(", ".join(names)),
        facets=facet_counts("event" in request.filters),
        rank_all=sql.Literal(RANK_ALL),
        deck_levels=rank_levels(1, request.page * request.per_page),
        photo_levels=rank_levels(2, request.page * request.photos_per_page),
        order=sql.SQL(ORDERS[request.sort]),
        offset=sql.Literal((request.page - 1) * request.per_page),
        per_page=sql.Literal(request.per_page),
        per_group=sql.Literal(request.pages_per_group),
        photo_offset=sql.Literal((request.page - 1) * request.photos_per_page),
        per_photos=sql.Literal(request.photos_per_page),
        headline=sql.Literal(HEADLINE),
        s=sql.Identifier(schema),
        markers=sql.Literal(HIT_START + HIT_END),
        cjk=sql.Literal(f"[{CJK}]"),
    )


def match_pages_statement(
    compiled: Compiled, request: SearchRequest, schema: str, item_id: int, notices: list[Message]
) -> sql.Composable:
    """The statement listing the pages of deck `item_id` that `request` matches (every one:
    the viewer lists them all, overlay runs unfolded, as the Whoosh backend does)."""
    flags = list(selection_flags(request.filters, notices).values())
    return sql.SQL(MATCH_PAGES).format(
        pages=sql.SQL("{s}.{t}").format(s=sql.Identifier(schema), t=sql.Identifier(PAGES)),
        item=sql.Literal(item_id),
        kind=sql.Literal(KIND_CODES[PRESENTATION]),
        where=compiled.where,
        scope=scope_condition(request.scope),
        flags=sql.SQL(" AND ").join(flags) if flags else sql.SQL("TRUE"),
    )


def rank_levels(kind: int, wanted: int) -> sql.Composable:
    """The CASE branches choosing the lowest level of the pages of `kind` that must be
    ranked: the strongest level whose items alone fill the requested pages of that kind.
    Decks and photos choose apart: a query matching few photos must not make every
    matching slide of thousands of decks be ranked."""
    enough = sql.SQL(
        "WHEN count(*) FILTER (WHERE kind = {k} AND level >= {l}) >= "
        "least({n}, count(*) FILTER (WHERE kind = {k})) THEN {l}"
    )
    return sql.SQL(" ").join(
        enough.format(k=sql.Literal(kind), l=sql.Literal(level), n=sql.Literal(wanted))
        for level in (5, 4, 3, 2, 1)
    )


def snippet(hit: dict, highlighter: Highlighter) -> Markup:
    """The headline, escaped, with <mark> where ts_headline marked a hit.

    ts_headline ran on the aligned text (the page's text with the same characters at the
    same places, see `schema`); its fragment is read back from the page's own text. Its
    parser sees a run of Chinese or Japanese characters as one word and never marks a part
    of it, so a page with CJK text comes whole and is cut here by the shared highlighter,
    which knows the index's bigrams."""
    if hit["cjk_text"] is not None:
        return highlighter.snippet(hit["cjk_text"])
    marked = hit["snippet"] or ""
    original = hit["original"] or ""
    pieces: list[list] = [[False, ""]]  # [inside a mark, its text], alternating
    position = 0
    for char in marked:
        if char in (HIT_START, HIT_END):
            pieces.append([char == HIT_START, ""])
            continue
        shown = original[position] if position < len(original) else _ALIGNED.get(char, char)
        pieces[-1][1] += shown
        position += 1
    # One flowing line, as the Whoosh backend's snippets: line breaks and leaders collapse.
    parts = [
        f"<mark>{escape(collapsed(text))}</mark>" if inside else str(escape(collapsed(text)))
        for inside, text in pieces
        if text
    ]
    lead = ELLIPSIS if hit["lead"] else ""
    tail = ELLIPSIS if hit["tail"] else ""
    # Every character of the page went through escape() above; only <mark> was added.
    return Markup(f"{lead}{''.join(parts).strip()}{tail}")  # noqa: S704


def groups_and_photos(
    hits: list[dict], highlighter: Highlighter
) -> tuple[list[ResultGroup], list[PhotoHit]]:
    """The rows of shown pages and photos, in order, as result groups and photo hits."""
    groups: list[ResultGroup] = []
    photos: list[PhotoHit] = []
    members: dict[int, list[dict]] = {}
    for hit in hits:
        if hit["photo"] is not None:
            photos.append(
                PhotoHit(
                    hit["item"],
                    hit["title"],
                    hit["event"],
                    snippet(hit, highlighter),
                    session_label=hit["session_label"],
                    recognised=hit["recognised"],
                )
            )
        else:
            members.setdefault(hit["group"], []).append(hit)
    for _, pages in sorted(members.items()):
        best = pages[0]
        shown = [
            PageHit(
                h["page"],
                h["label"],
                float(h["score"]),
                snippet(h, highlighter),
                h["recognised"],
                first_page=h["first_page"],
            )
            for h in pages
        ]
        groups.append(
            ResultGroup(
                item_id=best["item"],
                title=best["title"],
                event_id=best["event"],
                event_title=best["event_title"],
                event_slug=best["event_slug"],
                speakers=tuple(best["speakers"]),
                best=shown[0],
                more=shown[1:],
                more_count=int(best["n"]) - 1,
                session_label=best["session_label"],
            )
        )
    return groups, photos


def search_page(request: SearchRequest, compiled: Compiled, row, notices, suggestion) -> SearchPage:
    """Assemble the page from the statement's one row."""
    total_hits, total_groups, total_photos, facet_rows, hits = row
    groups, photos = groups_and_photos(hits, Highlighter(compiled.terms))
    return SearchPage(
        query_text=request.text,
        groups=groups,
        photos=photos,
        total_groups=total_groups,
        total_hits=total_hits,
        page=request.page,
        per_page=request.per_page,
        facets=facets(facet_rows, request.filters),
        suggestion=suggestion,
        notice=" ".join(dict.fromkeys(notices)) or None,
        notices=tuple(dict.fromkeys(notices)),
        terms=compiled.terms,
        total_photos=total_photos,
        sort=request.sort,
        photos_per_page=request.photos_per_page,
    )
