"""The search box language, and its translation into query nodes with the permission filter.

Syntax (the same list is shown on the search page as `SYNTAX_HELP`):

    digital divide            pages with all of the words (stemmed and accent-folded too)
    "digital divide"          the exact phrase
    egov OR e-government      either side (OR in capitals)
    budget -draft             exclude a word; also: budget NOT draft
    (tax OR budget) reform    parentheses group
    govern*                   words starting with "govern" (3 or more letters before *)
    event:baku-2023           an event by slug, or words of its title: event:"digital week"
    speaker:aliyev            a speaker; org:undp a speaker's organisation
    year:2023                 a year; ranges: year:2019..2023, year:2019.., year:..2023
    date:2023-07-01..2023-07-31   a date range (YYYY, YYYY-MM or YYYY-MM-DD; open ends allowed)
    type:photo                only photos (type:presentation for slides)
    lang:ru                   pages in a language (ISO code)

Words are matched in titles, speakers, page text, tags, organisations and event names, with
titles and speakers weighted above page text. A query that cannot be read (an unmatched quote
or parenthesis, a dangling OR, a lone "-") never raises: it is searched as plain words and
`CompiledQuery.notices` explains why in a sentence. A filter with a bad value ("year:abc")
is searched as words the same way.
"""

from __future__ import annotations

import re
import unicodedata
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date
from itertools import islice

from archive.fulltext.analysis import AnalysedWord, analyse_words, exact_form, fold
from archive.fulltext.documents import PHOTO, PRESENTATION, SHARED
from archive.fulltext.engine import (
    AnyOf,
    Bonus,
    ColumnRange,
    Every,
    Node,
    NoDocs,
    Phrase,
    Term,
    Without,
    all_of,
    any_of,
)
from archive.fulltext.schema import FIELD_WEIGHTS, TEXT_FIELDS
from archive.fulltext.scope import AccessScope

SYNTAX_HELP: list[tuple[str, str]] = [
    ("digital divide", "pages containing all of the words, in any form (governments = government)"),
    ('"digital divide"', "the exact phrase"),
    ("egov OR e-government", "either word (OR in capitals)"),
    ("budget -draft", "leave out pages with a word (also: budget NOT draft)"),
    ("(tax OR budget) reform", "parentheses group alternatives"),
    ("govern*", "words starting with govern (at least 3 letters before *)"),
    ("event:baku-2023", 'an event by its short name or title words: event:"digital week"'),
    ("speaker:aliyev", "presentations by a speaker"),
    ("org:undp", "presentations by speakers from an organisation"),
    ("year:2023", "a year, or a range: year:2019..2023"),
    ("date:2023-07-01..2023-07-31", "a date range; open ends allowed: date:2023-07.."),
    ("type:photo", "only photos (type:presentation: only slides)"),
    ("lang:ru", "pages in a language: en, ru, az, ..."),
]

MIN_PREFIX = 3
PREFIX_TERMS = 30  # most frequent expansions kept per field
PREFIX_SCAN = 3000  # lexicon entries looked at per field before giving up
PREFIX_FIELDS = ("title", "people", "body")
PHRASE_BONUS = {"title": 3.0, "body": 2.0}
PHRASE_BONUS_CHECKED = 200  # best-scoring pages per segment checked for the phrase bonus
FIELD_NAMES = ("event", "speaker", "org", "year", "date", "type", "lang")
TYPE_VALUES = {
    "photo": PHOTO,
    "photos": PHOTO,
    "presentation": PRESENTATION,
    "presentations": PRESENTATION,
    "slides": PRESENTATION,
    "deck": PRESENTATION,
    "decks": PRESENTATION,
}
_QUOTES = str.maketrans({c: '"' for c in "\u201c\u201d\u201e\u00ab\u00bb\u2033"})
_LANG_RE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


class MalformedQuery(ValueError):
    """The query text cannot be read as syntax; the message is a sentence for the user."""


# ---------------------------------------------------------------------------- syntax tree


@dataclass(frozen=True)
class Word:
    text: str
    start: int = -1
    end: int = -1
    prefix: bool = False


@dataclass(frozen=True)
class Quoted:
    text: str


@dataclass(frozen=True)
class Filter:
    name: str
    value: str
    quoted: bool = False


@dataclass(frozen=True)
class Not:
    child: object


@dataclass(frozen=True)
class And:
    children: tuple


@dataclass(frozen=True)
class Or:
    children: tuple


# ---------------------------------------------------------------------------- lexer/parser


def _lex(text: str) -> list[tuple]:
    tokens: list[tuple] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise MalformedQuery("The query has an unmatched quotation mark")
            tokens.append(("PHRASE", text[i + 1 : end]))
            i = end + 1
        elif c in "()":
            tokens.append(("LP" if c == "(" else "RP",))
            i += 1
        elif c == "-" and (i + 1 >= n or text[i + 1].isspace()):
            raise MalformedQuery("A “-” must be followed by a word to leave out")
        elif c == "-":
            tokens.append(("NEG",))
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '"()':
                j += 1
            i = _lex_run(text, i, j, tokens)
    return tokens


def _lex_run(text: str, i: int, j: int, tokens: list[tuple]) -> int:
    run = text[i:j]
    if run in ("OR", "||"):
        tokens.append(("OR",))
    elif run in ("AND", "&&"):
        tokens.append(("AND",))
    elif run == "NOT":
        tokens.append(("NOT",))
    elif ":" in run and run.split(":", 1)[0].lower() in FIELD_NAMES:
        name, value = run.split(":", 1)
        if not value and j < len(text) and text[j] == '"':
            end = text.find('"', j + 1)
            if end < 0:
                raise MalformedQuery("The query has an unmatched quotation mark")
            tokens.append(("FIELD", name.lower(), text[j + 1 : end], True))
            return end + 1
        if not value:
            raise MalformedQuery(f"“{run}” needs a value after the colon")
        tokens.append(("FIELD", name.lower(), value, False))
    else:
        prefix = run.endswith("*")
        tokens.append(("WORD", Word(run.rstrip("*"), i, j, prefix)))
    return j


class _Parser:
    def __init__(self, tokens: list[tuple]):
        self.tokens = tokens
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def parse(self):
        if not self.tokens:
            return And(())
        node = self.or_expr()
        if self.peek() is not None:
            raise MalformedQuery("The query has an unmatched parenthesis")
        return node

    def or_expr(self):
        children = [self.and_expr()]
        while self.peek() == "OR":
            self.i += 1
            if self.peek() in (None, "RP", "OR"):
                raise MalformedQuery("“OR” needs something to search for on both sides")
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def and_expr(self):
        children = []
        while self.peek() not in (None, "RP", "OR"):
            if self.peek() == "AND":
                self.i += 1
                continue
            children.append(self.unary())
        if not children:
            raise MalformedQuery(
                "“OR” needs something to search for on both sides"
                if self.peek() == "OR"
                else "The query has an unmatched or empty parenthesis"
            )
        return children[0] if len(children) == 1 else And(tuple(children))

    def unary(self):
        kind = self.peek()
        if kind in ("NEG", "NOT"):
            self.i += 1
            if self.peek() in (None, "RP", "OR", "AND"):
                sign = "-" if kind == "NEG" else "NOT"
                raise MalformedQuery(f"A “{sign}” must be followed by a word to leave out")
            return Not(self.unary())
        return self.primary()

    def primary(self):
        token = self.tokens[self.i]
        self.i += 1
        kind = token[0]
        if kind == "LP":
            node = self.or_expr()
            if self.peek() != "RP":
                raise MalformedQuery("The query has an unmatched parenthesis")
            self.i += 1
            return node
        if kind == "RP":
            raise MalformedQuery("The query has an unmatched parenthesis")
        if kind == "PHRASE":
            return Quoted(token[1])
        if kind == "FIELD":
            return Filter(token[1], token[2], token[3])
        return token[1]


def parse(text: str):
    """Parse query text into a syntax tree; raises MalformedQuery with a user sentence."""
    return _Parser(_lex(text)).parse()


def _plain_words(text: str) -> And:
    cleaned = re.sub(r'["()]', " ", text)
    words = [
        Word(w.lstrip("-").rstrip("*"))
        for w in cleaned.split()
        if w not in ("OR", "AND", "NOT", "||", "&&") and w.strip("-*")
    ]
    return And(tuple(words))


# ---------------------------------------------------------------------------- compilation


@dataclass
class CompiledQuery:
    """A query ready to run: the node, what to highlight, and sentences for the user."""

    node: Node
    text: str  # the normalised query text that word spans refer to
    terms: tuple[str, ...]
    notices: list[str] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)  # plain words, for did-you-mean
    empty: bool = False  # nothing was asked for: every visible document matches


class Compiler:
    """Turns a syntax tree into query nodes; prefix expansion needs the index lexicon."""

    def __init__(self, reader):
        self.reader = reader
        self.notices: list[str] = []
        self.terms: dict[str, None] = {}
        self.words: list[Word] = []

    def compile(self, tree, negated: bool = False) -> Node:
        if isinstance(tree, And):
            return self._and(tree.children, negated)
        if isinstance(tree, Or):
            return any_of(self.compile(c, negated) for c in tree.children)
        if isinstance(tree, Not):
            return Without(Every(), self.compile(tree.child, not negated))
        if isinstance(tree, Word):
            return self._word(tree, negated)
        if isinstance(tree, Quoted):
            if not negated:
                self._highlight(tree.text)
            return self._text(tree.text, TEXT_FIELDS, phrase=True)
        if isinstance(tree, Filter):
            return self._filter(tree, negated)
        raise TypeError(tree)

    def _and(self, children, negated: bool) -> Node:
        positives = [c for c in children if not isinstance(c, Not)]
        negatives = [c.child for c in children if isinstance(c, Not)]
        node = all_of(self.compile(c, negated) for c in positives)
        plain = " ".join(c.text for c in positives if isinstance(c, Word) and not c.prefix)
        if len(analyse_words(plain)) >= 2 and not isinstance(node, NoDocs | Every):
            node = Bonus(node, self._phrase_bonus(plain), PHRASE_BONUS_CHECKED)
        if negatives:
            node = Without(node, any_of(self.compile(c, not negated) for c in negatives))
        return node

    def _phrase_bonus(self, text: str) -> Node:
        folded = tuple(p for w in analyse_words(text) for p in w.folded_parts)
        return any_of(Phrase(f"{name}_s", folded, weight) for name, weight in PHRASE_BONUS.items())

    def _highlight(self, text: str) -> None:
        self.terms[text.lower()] = None

    def _word(self, word: Word, negated: bool) -> Node:
        if word.prefix:
            return self._prefix(word, TEXT_FIELDS, negated)
        if not analyse_words(word.text):  # punctuation only
            return Every()
        if not negated:
            self._highlight(word.text)
            if word.start >= 0:
                self.words.append(word)
        # Punctuation inside one typed word ("10:30", "foo,bar") keeps its pieces together.
        phrase = len(analyse_words(word.text)) > 1
        return self._text(word.text, TEXT_FIELDS, phrase=phrase)

    def _prefix(self, word: Word, fields: tuple[str, ...], negated: bool, boost: bool = True):
        analysed = analyse_words(word.text)
        if not analysed:
            return Every()
        first = analysed[0]
        stem = first.exact_whole or first.exact_parts[0]
        if len(analysed) > 1 or len(stem) < MIN_PREFIX:
            self.notices.append(
                f"Prefix search needs at least {MIN_PREFIX} letters before “*”, so "
                f"“{word.text}” was searched as a whole word."
            )
            return self._word(Word(word.text, word.start, word.end), negated)
        if not negated:
            self._highlight(stem + "*")
        folded = fold(stem)
        nodes = []
        capped = False
        for name in [f for f in fields if f in PREFIX_FIELDS] or list(fields):
            weight = FIELD_WEIGHTS[name] * 0.8 if boost else 0.0
            for suffix, text in (("_x", stem), ("_s", folded)):
                terms, more = self._expand(f"{name}{suffix}", text)
                capped |= more
                nodes.extend(Term(f"{name}{suffix}", t, weight) for t in terms)
        if capped:
            self.notices.append(
                f"“{stem}*” matches many words; only the {PREFIX_TERMS} most frequent were "
                "searched."
            )
        return any_of(nodes)

    def _expand(self, fieldname: str, prefix: str) -> tuple[list[str], bool]:
        found = [
            b.decode("utf-8")
            for b in islice(self.reader.expand_prefix(fieldname, prefix), PREFIX_SCAN)
        ]
        if len(found) <= PREFIX_TERMS:
            return found, len(found) == PREFIX_SCAN
        found.sort(key=lambda t: -self.reader.doc_frequency(fieldname, t))
        return found[:PREFIX_TERMS], True

    def _text(self, text: str, fields: tuple[str, ...], phrase: bool, boost: bool = True) -> Node:
        """Words of `text` (all required, or adjacent when `phrase`) in any of `fields`."""
        analysed = analyse_words(text)
        if not analysed:
            return Every()
        if phrase:
            exact = tuple(p for w in analysed for p in w.exact_parts)
            folded = tuple(p for w in analysed for p in w.folded_parts)
            return any_of(phrase_node(name, exact, folded, boost) for name in fields)
        return all_of(word_node(w, fields, boost) for w in analysed)

    def _filter(self, flt: Filter, negated: bool) -> Node:
        try:
            return self._filter_node(flt, negated)
        except ValueError as error:
            self.notices.append(f"“{flt.name}:{flt.value}” {error}, so it was searched as words.")
            return self._text(f"{flt.name} {flt.value}", TEXT_FIELDS, phrase=False)

    def _filter_node(self, flt: Filter, negated: bool) -> Node:
        name, value = flt.name, flt.value.strip()
        if name in ("speaker", "org", "event"):
            fields = {"speaker": ("people",), "org": ("orgs",), "event": ("event",)}[name]
            if value.endswith("*") and not flt.quoted:
                node = self._prefix(Word(value.rstrip("*")), fields, True, boost=False)
            else:
                node = self._text(value, fields, phrase=flt.quoted, boost=False)
            if name == "event":
                extra = [Term("slug", value.lower(), 0.0)]
                if value.isdigit():
                    extra.append(Term("event", value, 0.0))
                node = any_of([*extra, node])
            return node
        if name == "year":
            low, high = _parse_range(value, _parse_year, "is not a valid year (try year:2023)")
            return ColumnRange("c_year", low, high)
        if name == "date":
            low, high = _parse_range(value, _parse_date, "is not a valid date (try 2023-07-01)")
            low_ord = low[0].toordinal() if low else None
            high_ord = high[1].toordinal() if high else None
            # Overlap of the document's [c_from, c_to] with the asked range.
            ranges = []
            if high_ord is not None:
                ranges.append(ColumnRange("c_from", None, high_ord))
            if low_ord is not None:
                ranges.append(ColumnRange("c_to", low_ord, None))
            return all_of(ranges)
        if name == "type":
            kind = TYPE_VALUES.get(value.lower())
            if kind is None:
                raise ValueError("is not a type (use type:photo or type:presentation)")
            return Term("kind", kind, 0.0)
        if name == "lang":
            code = value.lower()
            if not _LANG_RE.match(code):
                raise ValueError("is not a language code (try lang:en or lang:ru)")
            return Term("lang", code, 0.0)
        raise ValueError("is not a known filter")


def word_node(
    word: AnalysedWord, fields: tuple[str, ...] = TEXT_FIELDS, boost: bool = True
) -> Node:
    """One analysed word in any of `fields`, exact and folded."""
    nodes: list[Node] = []
    for name in fields:
        weight = FIELD_WEIGHTS[name] if boost else 0.0
        for suffix, whole, parts in (
            ("_x", word.exact_whole, word.exact_parts),
            ("_s", word.folded_whole, word.folded_parts),
        ):
            fieldname = f"{name}{suffix}"
            if len(parts) == 1:
                nodes.append(Term(fieldname, parts[0], weight))
            if whole:
                nodes.append(Term(fieldname, whole, weight))
        if len(word.exact_parts) > 1:  # a joined name's parts, or CJK bigrams, in order
            nodes.append(phrase_node(name, word.exact_parts, word.folded_parts, boost))
    return AnyOf(tuple(dict.fromkeys(nodes)))


def phrase_node(name: str, exact: tuple[str, ...], folded: tuple[str, ...], boost: bool) -> Node:
    """A phrase in one field family: folded, with a bonus where the exact words match too.

    Every exact match is also a folded match, so the exact positions are only checked in
    the pages where the folded phrase was found, not in every page holding the words.
    """
    weight = FIELD_WEIGHTS[name] if boost else 0.0
    folded_phrase = Phrase(f"{name}_s", folded, weight)
    if not boost:
        return folded_phrase
    return Bonus(folded_phrase, Phrase(f"{name}_x", exact, weight))


def _parse_range(value: str, parse_one, message: str):
    if ".." in value:
        left, right = value.split("..", 1)
        if not left and not right:
            raise ValueError(message)
        low = parse_one(left, message) if left else None
        high = parse_one(right, message) if right else None
    else:
        low = high = parse_one(value, message)
    if isinstance(low, tuple) and isinstance(high, tuple):
        low, high = (low, high) if low[0] <= high[1] else (high, low)
        return low, high
    if low is not None and high is not None and low > high:
        low, high = high, low
    return low, high


def _parse_year(text: str, message: str) -> int:
    if not re.fullmatch(r"\d{4}", text):
        raise ValueError(message)
    return int(text)


def _parse_date(text: str, message: str) -> tuple[date, date]:
    """The first and last day a date, month or year stands for."""
    match = _DATE_RE.match(text)
    if not match:
        raise ValueError(message)
    year, month, day = (int(g) if g else None for g in match.groups())
    try:
        if month is None:
            return date(year, 1, 1), date(year, 12, 31)
        if day is None:
            return date(year, month, 1), date(year, month, monthrange(year, month)[1])
        return date(year, month, day), date(year, month, day)
    except ValueError:
        raise ValueError(message) from None


def scope_filter(scope: AccessScope) -> Node:
    """The permission rules of `scope` as a filter node combined into every search."""
    parts: list[Node] = []
    if not scope.include_staff_only:
        parts.append(Term("vis", SHARED, 0.0))
    if scope.event_ids is not None:
        parts.append(any_of(Term("event", str(e), 0.0) for e in sorted(scope.event_ids)))
    if scope.organisation_id is not None:
        parts.append(Term("grant", str(scope.organisation_id), 0.0))
    return all_of(parts)


def compile_query(text: str, reader) -> CompiledQuery:
    """Parse and compile query text; malformed syntax falls back to plain words."""
    text = unicodedata.normalize("NFC", text or "").translate(_QUOTES).strip()
    notices: list[str] = []
    try:
        tree = parse(text)
    except MalformedQuery as error:
        notices.append(f"{error}, so the query was searched as plain words.")
        tree = _plain_words(text)
    compiler = Compiler(reader)
    node = compiler.compile(tree)
    empty = not text
    if not empty and isinstance(node, Every) and not _has_filters(tree):
        notices.append("There was nothing to search for in the query.")
        node = NoDocs()
    return CompiledQuery(
        node, text, tuple(compiler.terms), notices + compiler.notices, compiler.words, empty
    )


def _has_filters(tree) -> bool:
    if isinstance(tree, Filter):
        return True
    if isinstance(tree, And | Or):
        return any(_has_filters(c) for c in tree.children)
    return False


def exact_words(text: str) -> list[str]:
    """Lowercased words of text (for suggestions)."""
    return [exact_form(p) for w in analyse_words(text) for p in w.exact_parts]
