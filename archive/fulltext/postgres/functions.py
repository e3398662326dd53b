"""The search schema's SQL functions: text preparation, page vectors, query forms.

All are IMMUTABLE and PARALLEL SAFE, so the planner folds a query's forms into a constant
before it picks an index, and a vector computed at indexing time equals one computed again.
They are created with CREATE OR REPLACE by the first process of a new schema version (see
`schema.install`), so a rebuild after an upgrade finds the functions it needs.
"""

from __future__ import annotations

from psycopg import sql

# Text search configurations made in the schema (see `schema`): the stemming ones and the
# folded (unaccented, unstemmed) one; `simple` is PostgreSQL's own.
CONFIGS = ("english", "russian", "folded")
CJK = (
    r"\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u31a0-\u31ff\u3400-\u4dbf"
    r"\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f\U00020000-\U0002fa1f"
)
JOINERS = r"._/''\u2019"  # doubled quote: it sits in an SQL literal
SEPARATOR = "''' '':1'::tsvector"  # a lexeme no query holds: phrases stop at it
SEPARATOR_LEXEME = " "
# How often a word must be in a page's text for the page to rank early (see `searching`):
# `repeated` holds words seen REPEATED times but fewer than STRONG, `strong` the words seen
# STRONG times or more and those of the title, speakers, tags and programme, `dominant`
# those seen DOMINANT times or more and those of the title. Each threshold doubles the one
# below, as term-frequency buckets do.
REPEATED, STRONG, DOMINANT = 2, 4, 8
# A quoted lexeme in the text form of a tsquery, as it stands in an SQL literal (quotes
# doubled): how the query functions below pick a query's words out of it.
LEXEME = "''(?:[^'']|'''')*''"


def _preparing(s: sql.Identifier) -> list[sql.Composable]:
    """prepare() for the parser, and aligned() for snippets."""
    return [
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {s}.prepare(t text) RETURNS text LANGUAGE sql "
            "IMMUTABLE PARALLEL SAFE AS $$ SELECT regexp_replace(regexp_replace("
            "translate(coalesce(t, ''), 'əƏ', 'eE'), "
            "'([[:alnum:]])[" + JOINERS + "]+(?=[[:alnum:]])', '\\1-', 'g'), "
            "'([" + CJK + "])', ' \\1 ', 'g') $$"
        ).format(s=s),
        # prepare() without the changes that move characters, and with <, > and & out of the
        # way of ts_headline (it drops what looks like markup): snippets are cut from it and
        # mapped back, character by character, onto the page's own text.
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {s}.aligned(t text) RETURNS text LANGUAGE sql "
            "IMMUTABLE PARALLEL SAFE AS $$ SELECT regexp_replace("
            "translate(coalesce(t, ''), 'əƏ<>&', 'eE' || chr(4) || chr(5) || chr(6)), "
            "'([[:alnum:]])[" + JOINERS + "](?=[[:alnum:]])', '\\1-', 'g') $$"
        ).format(s=s),
    ]


def _vectors(s: sql.Identifier) -> list[sql.Composable]:
    """The vectors of a page: both forms of every field, prominent words, field vectors.

    A page's form is its fields' vectors in order, each followed by the separator: title
    (A), speakers (B), tags (B), programme (B), text (C), organisations and event (D). All
    but the text are the item's, the same on each of its pages, so they are parsed once per
    item (`head_vectors`) and only the text once per page (`body_vectors`); since `||`
    shifts the right side's positions by the left side's last one, head || body || tail
    is the same vector as the six fields joined one by one."""

    def form(config: str, fields) -> sql.Composable:
        return sql.SQL(" || ").join(
            sql.SQL("{s}.field_vector({c}, {v}, {w})").format(
                s=s, c=sql.SQL(config), v=sql.SQL(v), w=sql.Literal(w)
            )
            for v, w in fields
        )

    head = (("t", "A"), ("pe", "B"), ("ta", "B"), ("pr", "B"))
    return [
        # One field of prepared text, weighted, and the separator after it.
        sql.SQL(
            'CREATE OR REPLACE FUNCTION {s}.field_vector(c regconfig, t text, w "char") '
            "RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
            "SELECT setweight(to_tsvector(c, t), w) || {sep} $$"
        ).format(s=s, sep=sql.SQL(SEPARATOR)),
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {s}.both_forms(c regconfig, t text) RETURNS tsvector "
            "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
            "SELECT {s}.field_vector(c, x, 'D') || {s}.field_vector('simple', x, 'D') "
            "FROM (SELECT {s}.prepare(t) AS x) AS y $$"
        ).format(s=s),
        # The item's fields before and after the page's text, in the stemmed (page language)
        # and the exact form, and the field vectors that `speaker:`, `org:` and `event:` search.
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {s}.head_vectors(c regconfig, title text, people text, "
            "tags text, programme text, orgs text, event text, OUT head_stemmed tsvector, "
            "OUT head_exact tsvector, OUT tail_stemmed tsvector, OUT tail_exact tsvector, "
            "OUT people_v tsvector, OUT orgs_v tsvector, OUT event_v tsvector) "
            "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
            "SELECT {head_stemmed}, {head_exact}, {tail_stemmed}, {tail_exact}, "
            "{s}.both_forms(c, people), {s}.both_forms(c, orgs), {s}.both_forms(c, event) "
            "FROM (SELECT {s}.prepare(title) AS t, {s}.prepare(people) AS pe, "
            "{s}.prepare(tags) AS ta, {s}.prepare(programme) AS pr, "
            "{s}.prepare(orgs || ' ' || event) AS o) AS x $$"
        ).format(
            s=s,
            head_stemmed=form("c", head),
            head_exact=form("'simple'", head),
            tail_stemmed=form("c", (("o", "D"),)),
            tail_exact=form("'simple'", (("o", "D"),)),
        ),
        # The page's text in both forms, prepared once.
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {s}.body_vectors(c regconfig, body text, "
            "OUT stemmed tsvector, OUT exact tsvector) LANGUAGE sql IMMUTABLE PARALLEL SAFE "
            "AS $$ SELECT {stemmed}, {exact} FROM (SELECT {s}.prepare(body) AS b) AS x $$"
        ).format(s=s, stemmed=form("c", (("b", "C"),)), exact=form("'simple'", (("b", "C"),))),
        # The words of a vector seen at least REPEATED and fewer than STRONG times
        # (`repeated`), those seen STRONG times or more (`strong`) and those seen DOMINANT
        # times or more (`dominant`, a part of `strong`), in one pass; a word of the title
        # (weight A) counts as seen DOMINANT times, one of the speakers, tags or programme
        # (weight B) as seen STRONG times.
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {s}.prominent(v tsvector, OUT repeated tsvector, "
            "OUT strong tsvector, OUT dominant tsvector) LANGUAGE sql IMMUTABLE PARALLEL SAFE "
            "AS $$ SELECT {repeated}, {strong}, {dominant} "
            "FROM (SELECT lexeme, CASE WHEN weights && '{{A}}'::text[] THEN {top} "
            "WHEN weights && '{{B}}'::text[] THEN greatest(cardinality(positions), {high}) "
            "ELSE cardinality(positions) END AS n FROM unnest(v)) AS u "
            "WHERE lexeme <> {sep} AND n >= {low} $$"
        ).format(
            s=s,
            repeated=_words_where("<", STRONG),
            strong=_words_where(">=", STRONG),
            dominant=_words_where(">=", DOMINANT),
            sep=sql.Literal(SEPARATOR_LEXEME),
            low=sql.Literal(REPEATED),
            high=sql.Literal(STRONG),
            top=sql.Literal(DOMINANT),
        ),  # fmt: skip
    ]


def _words_where(comparison: str, times: int) -> sql.Composable:
    """The lexemes of prominent()'s rows whose count `n` compares so with `times`, as a
    vector."""
    return sql.SQL(
        "array_to_tsvector(coalesce(array_agg(lexeme) FILTER (WHERE n {} {}), '{{}}'))"
    ).format(sql.SQL(comparison), sql.Literal(times))


def _queries(s: sql.Identifier, schema: str) -> list[sql.Composable]:
    """Typed words and prefixes as tsqueries over every form, and a query's words alone."""
    english, russian, folded = (sql.Literal(f"{schema}.{c}") for c in CONFIGS)
    return [
        # Every distinct form once: duplicates would cost a lookup each and mislead the
        # planner's estimate of how many pages match.
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {s}.forms(w text) RETURNS tsquery LANGUAGE sql "
            "IMMUTABLE PARALLEL SAFE AS $$ SELECT coalesce(("
            "SELECT string_agg(DISTINCT '(' || f::text || ')', ' | ')::tsquery FROM unnest("
            "ARRAY[phraseto_tsquery({e}, w), phraseto_tsquery({r}, w), "
            "phraseto_tsquery({f}, w), phraseto_tsquery('simple', w)]) AS f "
            "WHERE numnode(f) > 0), phraseto_tsquery('simple', w)) $$"
        ).format(s=s, e=english, r=russian, f=folded),
        # A joined name ("file_name") is found as a whole and as its parts in a longer name.
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {s}.word_query(w text) RETURNS tsquery LANGUAGE sql "
            "IMMUTABLE PARALLEL SAFE AS $$ SELECT CASE WHEN strpos({s}.prepare(w), '-') > 0 "
            "THEN {s}.forms({s}.prepare(w)) || {s}.forms(translate({s}.prepare(w), '-', ' ')) "
            "ELSE {s}.forms({s}.prepare(w)) END $$"
        ).format(s=s),
        # The exact and the folded prefix; once when they are the same (as for most words):
        # each costs a walk over every indexed word that starts with it.
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {s}.prefix_query(w text) RETURNS tsquery LANGUAGE sql "
            "IMMUTABLE PARALLEL SAFE AS $$ SELECT CASE WHEN exact = folded THEN exact "
            "ELSE exact || folded END FROM (SELECT to_tsquery('simple', quote_literal("
            "lower({s}.prepare(w))) || ':*') AS exact, to_tsquery({f}, "
            "quote_literal({s}.prepare(w)) || ':*') AS folded) AS x $$"
        ).format(s=s, f=folded),
        # Typed words as a phrase in a title (weight A): the phrase bonus of a ranking.
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {s}.title_phrase(w text) RETURNS tsquery LANGUAGE sql "
            "IMMUTABLE PARALLEL SAFE AS $$ SELECT regexp_replace({s}.forms({s}.prepare(w))::text, "
            "'({lexeme})', '\\1:A', 'g')::tsquery $$"
        ).format(s=s, lexeme=sql.SQL(LEXEME)),
        # Every word of a query, phrases loosened to AND: what `strong` must hold for a page
        # to hold all the searched words prominently. The text form of a tsquery brackets by
        # precedence, and AND binds more loosely than a phrase, so putting & for each phrase
        # operator keeps the groups as they were. NULL when there is no query.
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {s}.all_words(q tsquery) RETURNS tsquery LANGUAGE sql "
            "IMMUTABLE PARALLEL SAFE AS $$ SELECT string_agg(CASE WHEN m[1] LIKE '<%' "
            "THEN '&' ELSE m[1] END, ' ')::tsquery FROM regexp_matches(q::text, "
            "'({lexeme}(?::[*A-D]+)?|<(?:-|[0-9]+)>|[&|!()])', 'g') AS m $$"
        ).format(s=s, lexeme=sql.SQL(LEXEME)),
        # Any word (or prefix) of a query: what `repeated` and `strong` are matched with, as a
        # vector without positions cannot hold a phrase. NULL when there is none.
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {s}.any_word(q tsquery) RETURNS tsquery LANGUAGE sql "
            "IMMUTABLE PARALLEL SAFE AS $$ SELECT string_agg(DISTINCT m[1], ' | ')::tsquery "
            "FROM regexp_matches(q::text, '({lexeme}(?::\\*)?)', 'g') AS m $$"
        ).format(s=s, lexeme=sql.SQL(LEXEME)),
    ]


def functions(schema: str) -> list[sql.Composable]:
    """Every function of the search schema, as CREATE OR REPLACE statements."""
    s = sql.Identifier(schema)
    return _preparing(s) + _vectors(s) + _queries(s, schema)
