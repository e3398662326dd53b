"""Syntax trees of the search box language (`archive.fulltext.parser`) -> SQL.

A tree becomes one SQL condition on a pages row `p` and one `tsquery` that ranks. Words,
phrases and prefixes become `tsquery` values built in the database (`word_query`,
`prefix_query` in `schema`), so the page's text search configuration and the query's agree;
the parts of an AND or an OR that are all text merge into one `tsquery`, so one GIN index
scan answers them. Filters become column conditions. `scope_condition` turns an
`AccessScope` into the condition every search carries, in SQL, before anything is counted.

Values reach SQL only as literals quoted by psycopg (`sql.Literal`), never by formatting.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from psycopg import sql

from archive.fulltext.analysis import analyse_words
from archive.fulltext.messages import Message, first_message
from archive.fulltext.parser import (
    MIN_PREFIX,
    And,
    Filter,
    Not,
    Or,
    Quoted,
    Word,
    date_range,
    has_filters,
    item_kind,
    language_code,
    read_query,
    year_range,
)
from archive.fulltext.postgres.schema import KIND_CODES
from archive.fulltext.scope import AccessScope

TRUE, FALSE = sql.SQL("TRUE"), sql.SQL("FALSE")
FIELD_COLUMNS = {"speaker": "people_v", "org": "orgs_v", "event": "event_v"}


@dataclass(frozen=True)
class Text:
    """A tsquery over the page vector `doc`; several merge into one (&&, ||, !!)."""

    query: sql.Composable
    rank: sql.Composable | None = None  # what of it ranks: the query, less negations


@dataclass(frozen=True)
class Cond:
    """Any other condition on the row."""

    sql: sql.Composable
    rank: sql.Composable | None = None


def _ranks(parts: list[Text | Cond], operator: str) -> sql.Composable | None:
    """The ranking tsquery of an AND (&&: cover density rewards words close together) or an
    OR (||) of parts."""
    ranks = [p.rank for p in parts if p.rank is not None]
    if not ranks:
        return None
    symbol = sql.SQL(" && " if operator == "AND" else " || ")
    return sql.SQL("(") + symbol.join(ranks) + sql.SQL(")")


@dataclass
class Compiled:
    """A query ready to run: its condition, its ranking tsquery, and what the user sees."""

    where: sql.Composable
    rank: sql.Composable | None  # None: nothing to rank (filters only, or an empty query)
    text: str
    terms: tuple[str, ...]
    notices: list[Message] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)  # plain words, for did-you-mean
    # Plain words typed side by side, as a phrase in a title: a page whose title holds them
    # ranks above pages that only repeat them (see `searching`). None: no such words.
    title_phrase: sql.Composable | None = None


def _as_sql(part: Text | Cond) -> sql.Composable:
    if isinstance(part, Text):
        return sql.SQL("p.doc @@ ({})").format(part.query)
    return part.sql


def _join(parts: list[sql.Composable], operator: str) -> sql.Composable:
    if len(parts) == 1:
        return parts[0]
    return sql.SQL("(") + sql.SQL(f" {operator} ").join(parts) + sql.SQL(")")


class Compiler:
    """Turns a syntax tree into SQL; `schema` names the search schema's functions."""

    def __init__(self, schema: str):
        self.s = sql.Identifier(schema)
        self.notices: list[Message] = []
        self.terms: dict[str, None] = {}
        self.words: list[Word] = []
        self.title_phrases: list[sql.Composable] = []

    def compile(self, tree, negated: bool = False) -> Text | Cond:
        """The SQL of `tree`; under `negated`, words are not ranked, highlighted or corrected."""
        if isinstance(tree, And):
            if not negated:
                self._title_phrase(tree)
            return self._combine([self.compile(c, negated) for c in tree.children], "AND")
        if isinstance(tree, Or):
            return self._combine([self.compile(c, negated) for c in tree.children], "OR")
        if isinstance(tree, Not):
            return self._not(self.compile(tree.child, not negated))
        if isinstance(tree, Word):
            return self._word(tree, negated)
        if isinstance(tree, Quoted):
            return self._text(tree.text, tree.text, negated)
        if isinstance(tree, Filter):
            return self._filter(tree, negated)
        raise TypeError(tree)

    def _title_phrase(self, tree: And) -> None:
        """Remember the plain words of an AND typed side by side, for the title bonus (as
        the Whoosh backend's phrase bonus does)."""
        plain = " ".join(c.text for c in tree.children if isinstance(c, Word) and not c.prefix)
        if len(analyse_words(plain)) >= 2:
            phrase = sql.SQL("{s}.title_phrase({v})").format(s=self.s, v=sql.Literal(plain))
            self.title_phrases.append(phrase)

    def _combine(self, parts: list[Text | Cond], operator: str) -> Text | Cond:
        """AND or OR: all-text parts merge into one tsquery; TRUE and FALSE simplify."""
        neutral, absorbing = (TRUE, FALSE) if operator == "AND" else (FALSE, TRUE)
        kept = [p for p in parts if not (isinstance(p, Cond) and p.sql is neutral)]
        if any(isinstance(p, Cond) and p.sql is absorbing for p in kept):
            return Cond(absorbing)
        if not kept:
            return Cond(neutral)
        rank = _ranks(kept, operator)
        if all(isinstance(p, Text) for p in kept):
            symbol = sql.SQL(" && " if operator == "AND" else " || ")
            return Text(sql.SQL("(") + symbol.join(p.query for p in kept) + sql.SQL(")"), rank)
        return Cond(_join([_as_sql(p) for p in kept], operator), rank)

    def _not(self, part: Text | Cond) -> Text | Cond:
        if isinstance(part, Text):
            return Text(sql.SQL("!!({})").format(part.query))
        if part.sql is TRUE:
            return Cond(FALSE)
        if part.sql is FALSE:
            return Cond(TRUE)
        return Cond(sql.SQL("NOT ({})").format(part.sql))

    def _word(self, word: Word, negated: bool) -> Text | Cond:
        if word.prefix:
            return self._prefix(word, None, negated)
        if not analyse_words(word.text):  # punctuation only
            return Cond(TRUE)
        if not negated and word.start >= 0:
            self.words.append(word)
        return self._text(word.text, word.text, negated)

    def _text(self, text: str, shown: str, negated: bool) -> Text | Cond:
        """Words (adjacent when several, as a phrase) in the page vector, ranked."""
        if not analyse_words(text):
            return Cond(TRUE)
        query = sql.SQL("{s}.word_query({v})").format(s=self.s, v=sql.Literal(text))
        if negated:
            return Text(query)
        self.terms[shown.lower()] = None
        return Text(query, query)

    def _prefix(self, word: Word, column: str | None, negated: bool) -> Text | Cond:
        """`word*` as a tsquery prefix over the exact and the folded forms."""
        analysed = analyse_words(word.text)
        if not analysed:
            return Cond(TRUE)
        first = analysed[0]
        stem = first.exact_whole or first.exact_parts[0]
        if len(analysed) > 1 or len(first.exact_parts) > 1 and not first.exact_whole:
            stem = ""
        if len(stem) < MIN_PREFIX:
            self.notices.append(
                Message(
                    "Prefix search needs at least %(count)s letters before “*”, so "
                    "“%(word)s” was searched as a whole word.",
                    count=MIN_PREFIX,
                    word=word.text,
                )
            )
            plain = Word(word.text, word.start, word.end)
            if column:
                return self._field_text(column, plain.text, phrase=False)
            return self._word(plain, negated)
        query = sql.SQL("{s}.prefix_query({v})").format(s=self.s, v=sql.Literal(stem))
        if column:
            return Cond(sql.SQL("p.{c} @@ ({q})").format(c=sql.Identifier(column), q=query))
        if negated:
            return Text(query)
        self.terms[stem + "*"] = None
        return Text(query, query)

    def _field_text(self, column: str, text: str, phrase: bool) -> Text | Cond:
        """Words of a field filter (speaker:, org:, event:): all of them, or the phrase."""
        if not analyse_words(text):
            return Cond(TRUE)
        function = sql.SQL("{s}.word_query").format(s=self.s)
        values = [text] if phrase else text.split()
        queries = [sql.SQL("{f}({v})").format(f=function, v=sql.Literal(v)) for v in values]
        joined = sql.SQL(" && ").join(queries)
        return Cond(sql.SQL("p.{c} @@ ({q})").format(c=sql.Identifier(column), q=joined))

    def _filter(self, flt: Filter, negated: bool) -> Text | Cond:
        """A filter, or its text searched as words (with a notice) when its value is bad."""
        try:
            return self._filter_sql(flt)
        except ValueError as error:
            self.notices.append(
                Message(
                    "“%(filter)s” %(reason)s, so it was searched as words.",
                    filter=f"{flt.name}:{flt.value}",
                    reason=first_message(error),
                )
            )
            words = [Word(w) for w in f"{flt.name} {flt.value}".split()]
            return self._combine([self._word(w, negated) for w in words], "AND")

    def _filter_sql(self, flt: Filter) -> Text | Cond:
        """The condition of one `name:value` filter; ValueError with the reason if it is bad."""
        name, value = flt.name, flt.value.strip()
        if name in FIELD_COLUMNS:
            column = FIELD_COLUMNS[name]
            if value.endswith("*") and not flt.quoted:
                part = self._prefix(Word(value.rstrip("*")), column, True)
            else:
                part = self._field_text(column, value, phrase=flt.quoted)
            if name != "event":
                return part
            extra = [Cond(sql.SQL("p.event_slug = {v}").format(v=sql.Literal(value.lower())))]
            if value.isdigit():
                extra.append(Cond(sql.SQL("p.event_id = {v}").format(v=sql.Literal(int(value)))))
            return self._combine([*extra, part], "OR")
        if name == "year":
            return _range("p.year", *year_range(value))
        if name == "date":
            first, last = date_range(value)
            parts = []
            if last is not None:
                parts.append(_range("p.date_from", None, last.toordinal()))
            if first is not None:
                parts.append(_range("p.date_to", first.toordinal(), None))
            return self._combine(parts, "AND")
        if name == "type":
            code = KIND_CODES[item_kind(value)]
            return Cond(sql.SQL("p.kind = {v}").format(v=sql.Literal(code)))
        if name == "lang":
            return Cond(sql.SQL("p.lang = {v}").format(v=sql.Literal(language_code(value))))
        raise ValueError(Message("is not a known filter"))


def _range(column: str, low: int | None, high: int | None) -> Cond:
    parts = []
    if low is not None:
        parts.append(sql.SQL(f"{column} >= ") + sql.Literal(low))
    if high is not None:
        parts.append(sql.SQL(f"{column} <= ") + sql.Literal(high))
    return Cond(_join(parts, "AND") if parts else TRUE)


def scope_condition(scope: AccessScope) -> sql.Composable:
    """The permission rules of `scope` as the SQL condition every search carries."""
    parts: list[sql.Composable] = []
    if not scope.include_staff_only:
        parts.append(sql.SQL("p.shared"))
    if scope.event_ids is not None:
        ids = sorted(scope.event_ids)
        parts.append(sql.SQL("p.event_id = ANY({v}::integer[])").format(v=sql.Literal(ids)))
    if scope.organisation_id is not None:
        org = [scope.organisation_id]
        parts.append(sql.SQL("p.grants @> {v}::integer[]").format(v=sql.Literal(org)))
    return _join(parts, "AND") if parts else TRUE


def compile_query(text: str, schema: str) -> Compiled:
    """Parse and compile query text; malformed syntax falls back to plain words."""
    parsed = read_query((text or "").replace("\x00", " "))  # PostgreSQL text holds no NUL
    notices = list(parsed.notices)
    compiler = Compiler(schema)
    part = compiler.compile(parsed.tree)
    where = _as_sql(part)
    if parsed.text and where is TRUE and not has_filters(parsed.tree):
        notices.append(Message("There was nothing to search for in the query."))
        where = FALSE
    return Compiled(
        where,
        part.rank,
        parsed.text,
        tuple(compiler.terms),
        notices + compiler.notices,
        compiler.words,
        sql.SQL(" || ").join(compiler.title_phrases) if compiler.title_phrases else None,
    )
