"""Facets of the search statement: each facet's selection as a condition on a page row,
the SQL that counts every facet's values, and those counts as `FacetValue`s.

A facet counts ITEMS, not pages: a deck with twelve matching pages counts once for its
event, year or speaker, as in the Whoosh backend. Each facet is counted over the matches
that the other facets' selections keep, never its own, so a selected value's siblings stay
visible with the counts they would give.
"""

from __future__ import annotations

from psycopg import sql

from archive.fulltext.messages import Message
from archive.fulltext.postgres.schema import KIND_CODES, KIND_NAMES
from archive.fulltext.results import (
    FACET_LIMIT,
    FACETS,
    FACETS_WITHIN_EVENT,
    LANGUAGE_NAMES,
    TYPE_LABELS,
    FacetValue,
)

# Facet name -> its column in `base`, and the label of a value, if the facet has one.
FACET_COLUMNS = {
    "event": ("event_id", "min(event_title)"),
    "year": ("year", None),
    "type": ("kind", None),
    "lang": ("lang", None),
    "session": ("session_id", "min(session_label)"),
}
# Facets whose values are the elements of an array column: a page has several of them.
ARRAY_FACETS = {"org": "orgs", "speaker": "speakers"}
# Values that are no facet value: an undated page, a page without language or session.
NO_VALUE = (
    "NOT (facet IN ('year', 'session') AND value = '0') AND NOT (facet = 'lang' AND value = '')"
)
_NUMBER_COLUMNS = {"event": "p.event_id", "year": "p.year", "session": "p.session_id"}


def selection_flags(filters: dict[str, tuple[str, ...]], notices: list[Message]) -> dict:
    """For each facet with a selection, the condition of the rows it keeps (OR within)."""
    flags = {}
    for name, values in filters.items():
        if name in _NUMBER_COLUMNS:
            numbers = [int(v) for v in values if v.isdigit()]
            flags[name] = sql.SQL(_NUMBER_COLUMNS[name] + " = ANY({v}::integer[])").format(
                v=sql.Literal(numbers)
            )
        elif name == "type":
            codes = [KIND_CODES[v] for v in values if v in KIND_CODES]
            flags[name] = sql.SQL("p.kind = ANY({v}::smallint[])").format(v=sql.Literal(codes))
        elif name == "lang":
            flags[name] = sql.SQL("p.lang = ANY({v}::text[])").format(v=sql.Literal(list(values)))
        elif name in ARRAY_FACETS:
            flags[name] = sql.SQL("p.{c} && {v}::text[]").format(
                c=sql.Identifier(ARRAY_FACETS[name]), v=sql.Literal(list(values))
            )
        else:
            notices.append(Message("The filter “%(name)s” is unknown and was ignored.", name=name))
    return flags


def facet_counts(within_event: bool) -> sql.Composable:
    """Each facet's values with the number of items among the matches that the other
    facets' selections keep (the session facet only when an event is selected: sessions
    belong to one event): one pass over the matches with a grouping set per facet, and one
    over the elements of each array column."""
    names = [n for n in FACET_COLUMNS if n not in FACETS_WITHIN_EVENT or within_event]

    def case(pick) -> sql.Composable:
        return sql.SQL("CASE {} END").format(
            sql.SQL(" ").join(
                sql.SQL("WHEN grouping({c}) = 0 THEN {v}").format(
                    c=sql.Identifier(FACET_COLUMNS[n][0]), v=pick(n)
                )
                for n in names
            )
        )

    grouped = sql.SQL(
        "SELECT * FROM (SELECT {facet} AS facet, coalesce({values}) AS value, {label} AS label, "
        "{n} AS n FROM facet_rows GROUP BY GROUPING SETS ({sets})) g WHERE n > 0 AND {no_value}"
    ).format(
        facet=case(sql.Literal),
        values=sql.SQL(", ").join(
            sql.SQL("{}::text").format(sql.Identifier(FACET_COLUMNS[n][0])) for n in names
        ),
        label=case(lambda n: sql.SQL(FACET_COLUMNS[n][1] or "NULL")),
        n=case(lambda n: sql.SQL("count(DISTINCT item_id) FILTER (WHERE {})").format(_others(n))),
        sets=sql.SQL(", ").join(
            sql.SQL("({})").format(sql.Identifier(FACET_COLUMNS[n][0])) for n in names
        ),
        no_value=sql.SQL(NO_VALUE),
    )
    elements = sql.SQL(
        "SELECT {name}, v, NULL, count(DISTINCT item_id) FROM facet_rows, unnest({column}) AS v "
        "WHERE v <> '' AND {others} GROUP BY v"
    )
    return sql.SQL(" UNION ALL ").join(
        [grouped]
        + [
            elements.format(
                name=sql.Literal(name), column=sql.Identifier(column), others=_others(name)
            )
            for name, column in ARRAY_FACETS.items()
        ]
    )


def _others(name: str) -> sql.Composable:
    """The selections of every facet but `name`, as flags of `base`."""
    return sql.SQL(" AND ").join(sql.Identifier(f"f_{o}") for o in FACETS if o != name)


def facets(rows: list[dict], filters: dict[str, tuple[str, ...]]) -> dict[str, list[FacetValue]]:
    """Every facet's values: the most frequent first (years newest first), then every
    selected value even when it has no match left."""
    counted: dict[str, list[tuple[str, int]]] = {
        name: [] for name in FACETS if name not in FACETS_WITHIN_EVENT or "event" in filters
    }
    labels: dict[tuple[str, str], str] = {}
    for row in rows:
        name, value = row["facet"], row["value"]
        if name == "type":
            value = KIND_NAMES.get(int(value), value)
        counted[name].append((value, row["n"]))
        if row["label"]:
            labels[name, value] = row["label"]
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


def _label(name: str, value: str, labels: dict[tuple[str, str], str]) -> str:
    """A type's or language's name, an event's title, a session's label, else the value."""
    if name == "type":
        return TYPE_LABELS.get(value, value)
    if name == "lang":
        return LANGUAGE_NAMES.get(value, value)
    return labels.get((name, value), value)
