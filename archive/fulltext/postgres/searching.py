"""One `SearchPage` from one SQL statement: matches, totals, facets, groups and snippets.

The statement computes the matches once (query condition AND the scope's condition), then
from them, in the same snapshot: totals, every facet (each counted with the other facets'
selections, not its own), the ranked groups with their best pages, the photo strip and the
snippets. Nothing is filtered after the database answers, so no count, facet value or
snippet can reach past the user's `AccessScope` (see `results`).

Snippets come from `ts_headline` with control characters as hit markers; the text around
them is HTML-escaped here and only the markers become `<mark>`, so no markup of a page ever
reaches a results page.
"""

from __future__ import annotations

from markupsafe import Markup, escape
from psycopg import sql

from archive.fulltext.documents import PRESENTATION
from archive.fulltext.messages import Message
from archive.fulltext.postgres.compiler import Compiled, scope_condition
from archive.fulltext.postgres.rows import HIT_END, HIT_START
from archive.fulltext.postgres.schema import KIND_CODES, KIND_NAMES, PAGES, RANK_WEIGHTS
from archive.fulltext.results import (
    FACET_LIMIT,
    FACETS,
    LANGUAGE_NAMES,
    TYPE_LABELS,
    FacetValue,
    PageHit,
    PhotoHit,
    ResultGroup,
    SearchPage,
    SearchRequest,
)
from archive.fulltext.snippets import collapsed

ELLIPSIS = "…"
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
WITH q AS MATERIALIZED (SELECT {rank}::tsquery AS tsq),
base AS MATERIALIZED (
  SELECT p.item_id, p.page, p.kind, p.event_id, p.event_title, p.year, p.lang, p.orgs,
         p.speakers, p.item_date, {score} AS score,
         {f_event} AS f_event, {f_year} AS f_year, {f_type} AS f_type,
         {f_lang} AS f_lang, {f_org} AS f_org, {f_speaker} AS f_speaker
  FROM {pages} p, q WHERE ({where}) AND ({scope})),
final AS MATERIALIZED (SELECT * FROM base
  WHERE f_event AND f_year AND f_type AND f_lang AND f_org AND f_speaker),
pres AS (SELECT item_id, page, score, item_date,
          row_number() OVER (PARTITION BY item_id ORDER BY score DESC, page) AS rn,
          count(*) OVER (PARTITION BY item_id) AS n
         FROM final WHERE kind = 1),
ranked AS (SELECT item_id, n, row_number() OVER (ORDER BY {order}) AS pos
           FROM pres WHERE rn = 1),
shown AS (SELECT * FROM ranked WHERE pos > {offset} AND pos <= {offset} + {per_page}),
photos AS (SELECT item_id, page, row_number() OVER (ORDER BY {order}) AS pos
           FROM final WHERE kind = 2),
hits AS (
  SELECT s.pos AS group_pos, pr.rn, NULL::bigint AS photo_pos, s.n, pr.item_id, pr.page, pr.score
  FROM shown s JOIN pres pr ON pr.item_id = s.item_id AND pr.rn <= {per_group}
  UNION ALL
  SELECT NULL, NULL, ph.pos, NULL, ph.item_id, ph.page, 0
  FROM photos ph WHERE ph.pos > {photo_offset} AND ph.pos <= {photo_offset} + {per_photos})
SELECT
  (SELECT count(*) FROM final),
  (SELECT count(*) FROM ranked),
  (SELECT count(*) FROM photos),
  (SELECT coalesce(json_agg(f), '[]') FROM (
     SELECT 'event' AS facet, event_id::text AS value, min(event_title) AS label,
            count(DISTINCT item_id) AS n
       FROM base WHERE f_year AND f_type AND f_lang AND f_org AND f_speaker GROUP BY event_id
     UNION ALL SELECT 'year', year::text, NULL, count(DISTINCT item_id)
       FROM base WHERE year <> 0 AND f_event AND f_type AND f_lang AND f_org AND f_speaker
       GROUP BY year
     UNION ALL SELECT 'type', kind::text, NULL, count(DISTINCT item_id)
       FROM base WHERE f_event AND f_year AND f_lang AND f_org AND f_speaker GROUP BY kind
     UNION ALL SELECT 'lang', lang, NULL, count(DISTINCT item_id)
       FROM base WHERE lang <> '' AND f_event AND f_year AND f_type AND f_org AND f_speaker
       GROUP BY lang
     UNION ALL SELECT 'org', o, NULL, count(DISTINCT item_id)
       FROM base, unnest(orgs) AS o WHERE f_event AND f_year AND f_type AND f_lang AND f_speaker
       GROUP BY o
     UNION ALL SELECT 'speaker', sp, NULL, count(DISTINCT item_id)
       FROM base, unnest(speakers) AS sp WHERE f_event AND f_year AND f_type AND f_lang AND f_org
       GROUP BY sp
  ) f),
  (SELECT coalesce(json_agg(json_build_object(
      'group', h.group_pos, 'rn', h.rn, 'photo', h.photo_pos, 'n', h.n, 'item', h.item_id,
      'page', h.page, 'score', h.score, 'label', p.label, 'title', p.title,
      'speakers', p.speakers, 'event', p.event_id, 'event_title', p.event_title,
      'event_slug', p.event_slug, 'snippet', x.snippet, 'original', x.original,
      'lead', x.lead, 'tail', x.tail)
      ORDER BY h.group_pos, h.rn, h.photo_pos), '[]')
   FROM hits h JOIN {pages} p ON p.item_id = h.item_id AND p.page = h.page
   CROSS JOIN q
   CROSS JOIN LATERAL (SELECT CASE WHEN p.body = '' AND p.kind = 2 THEN p.title ELSE p.body END
                       AS text) t
   CROSS JOIN LATERAL (SELECT {s}.aligned(t.text) AS text) a
   CROSS JOIN LATERAL (SELECT ts_headline(p.config, a.text, coalesce(q.tsq, ''::tsquery),
                                          {headline}) AS marked) y
   CROSS JOIN LATERAL (SELECT strpos(a.text, translate(y.marked, {markers}, '')) AS at,
                              length(translate(y.marked, {markers}, '')) AS len) z
   CROSS JOIN LATERAL (SELECT y.marked AS snippet,
       CASE WHEN z.at > 0 THEN substr(t.text, z.at, z.len) END AS original,
       z.at > 1 AS lead, z.at > 0 AND z.at + z.len - 1 < length(t.text) AS tail) x)
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
        score = sql.SQL("ts_rank_cd({w}, p.doc, q.tsq)").format(w=sql.Literal(RANK_WEIGHTS))
    return sql.SQL(STATEMENT).format(
        rank=rank,
        score=score,
        pages=sql.SQL("{s}.{t}").format(s=sql.Identifier(schema), t=sql.Identifier(PAGES)),
        where=compiled.where,
        scope=scope_condition(request.scope),
        order=sql.SQL(ORDERS[request.sort]),
        offset=sql.Literal((request.page - 1) * request.per_page),
        per_page=sql.Literal(request.per_page),
        per_group=sql.Literal(request.pages_per_group),
        photo_offset=sql.Literal((request.page - 1) * request.photos_per_page),
        per_photos=sql.Literal(request.photos_per_page),
        headline=sql.Literal(HEADLINE),
        s=sql.Identifier(schema),
        markers=sql.Literal(HIT_START + HIT_END),
        **{f"f_{name}": flags.get(name, sql.SQL("TRUE")) for name in FACETS},
    )


def match_pages_statement(
    compiled: Compiled, request: SearchRequest, schema: str, item_id: int, notices: list[Message]
) -> sql.Composable:
    """The statement listing the pages of deck `item_id` that `request` matches."""
    flags = list(selection_flags(request.filters, notices).values())
    return sql.SQL(MATCH_PAGES).format(
        pages=sql.SQL("{s}.{t}").format(s=sql.Identifier(schema), t=sql.Identifier(PAGES)),
        item=sql.Literal(item_id),
        kind=sql.Literal(KIND_CODES[PRESENTATION]),
        where=compiled.where,
        scope=scope_condition(request.scope),
        flags=sql.SQL(" AND ").join(flags) if flags else sql.SQL("TRUE"),
    )


def selection_flags(filters: dict[str, tuple[str, ...]], notices: list[Message]) -> dict:
    """For each facet with a selection, the condition of the rows it keeps (OR within)."""
    flags = {}
    for name, values in filters.items():
        if name in ("event", "year"):
            column = {"event": "p.event_id", "year": "p.year"}[name]
            numbers = [int(v) for v in values if v.isdigit()]
            flags[name] = sql.SQL(column + " = ANY({v}::integer[])").format(v=sql.Literal(numbers))
        elif name == "type":
            codes = [KIND_CODES[v] for v in values if v in KIND_CODES]
            flags[name] = sql.SQL("p.kind = ANY({v}::smallint[])").format(v=sql.Literal(codes))
        elif name == "lang":
            flags[name] = sql.SQL("p.lang = ANY({v}::text[])").format(v=sql.Literal(list(values)))
        elif name in ("org", "speaker"):
            column = sql.Identifier({"org": "orgs", "speaker": "speakers"}[name])
            flags[name] = sql.SQL("p.{c} && {v}::text[]").format(
                c=column, v=sql.Literal(list(values))
            )
        else:
            notices.append(Message("The filter “%(name)s” is unknown and was ignored.", name=name))
    return flags


def facets(rows: list[dict], filters: dict[str, tuple[str, ...]]) -> dict[str, list[FacetValue]]:
    """Every facet's values: the most frequent first (years newest first), then every
    selected value even when it has no match left."""
    counted: dict[str, list[tuple[str, int]]] = {name: [] for name in FACETS}
    labels: dict[str, str] = {}
    for row in rows:
        value = (
            KIND_NAMES.get(int(row["value"]), row["value"])
            if row["facet"] == "type"
            else row["value"]
        )
        counted[row["facet"]].append((value, row["n"]))
        if row["label"]:
            labels[value] = row["label"]
    out = {}
    for name, pairs in counted.items():
        if name == "year":
            pairs.sort(key=lambda p: p[0], reverse=True)
        else:
            pairs.sort(key=lambda p: (-p[1], p[0]))
        shown = pairs[:FACET_LIMIT]
        present = {v for v, _ in shown}
        selected = filters.get(name, ())
        shown += [(v, dict(pairs).get(v, 0)) for v in selected if v not in present]
        out[name] = [FacetValue(v, _label(name, v, labels), c, v in selected) for v, c in shown]
    return out


def _label(name: str, value: str, event_titles: dict[str, str]) -> str:
    if name == "type":
        return TYPE_LABELS.get(value, value)
    if name == "lang":
        return LANGUAGE_NAMES.get(value, value)
    if name == "event":
        return event_titles.get(value, value)
    return value


def snippet(hit: dict) -> Markup:
    """The headline, escaped, with <mark> where ts_headline marked a hit.

    ts_headline ran on the aligned text (the page's text with the same characters at the
    same places, see `schema`); its fragment is read back from the page's own text."""
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


def groups_and_photos(hits: list[dict]) -> tuple[list[ResultGroup], list[PhotoHit]]:
    """The rows of shown pages and photos, in order, as result groups and photo hits."""
    groups: list[ResultGroup] = []
    photos: list[PhotoHit] = []
    members: dict[int, list[dict]] = {}
    for hit in hits:
        if hit["photo"] is not None:
            photos.append(PhotoHit(hit["item"], hit["title"], hit["event"], snippet(hit)))
        else:
            members.setdefault(hit["group"], []).append(hit)
    for _, pages in sorted(members.items()):
        best = pages[0]
        shown = [PageHit(h["page"], h["label"], float(h["score"]), snippet(h)) for h in pages]
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
            )
        )
    return groups, photos


def search_page(request: SearchRequest, compiled: Compiled, row, notices, suggestion) -> SearchPage:
    """Assemble the page from the statement's one row."""
    total_hits, total_groups, total_photos, facet_rows, hits = row
    groups, photos = groups_and_photos(hits)
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
