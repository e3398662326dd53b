"""The search box language: query text -> syntax tree, the same for every search backend.

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
or parenthesis, a dangling OR, a lone "-") never raises: `read_query` falls back to plain
words and adds a notice that explains why in a sentence. A filter with a bad value
("year:abc") is searched as words the same way: the value parsers here (`year_range`,
`date_range`, `item_kind`, `language_code`) raise ValueError with the reason, and the
backend's compiler turns it into a notice.

The tree holds what the user typed (words, phrases, filters, NOT/AND/OR); which fields a word
is looked up in, how it is weighted and how prefixes expand is each backend's compiler's job.
"""

from __future__ import annotations

import re
import unicodedata
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date

from archive.fulltext.documents import PHOTO, PRESENTATION
from archive.fulltext.messages import Message, first_message

SYNTAX_HELP: list[tuple[str, Message]] = [
    (
        "digital divide",
        Message("pages containing all of the words, in any form (governments = government)"),
    ),
    ('"digital divide"', Message("the exact phrase")),
    ("egov OR e-government", Message("either word (OR in capitals)")),
    ("budget -draft", Message("leave out pages with a word (also: budget NOT draft)")),
    ("(tax OR budget) reform", Message("parentheses group alternatives")),
    ("govern*", Message("words starting with govern (at least 3 letters before *)")),
    ("event:baku-2023", Message('an event by its short name or title words: event:"digital week"')),
    ("speaker:aliyev", Message("presentations by a speaker")),
    ("org:undp", Message("presentations by speakers from an organisation")),
    ("year:2023", Message("a year, or a range: year:2019..2023")),
    ("date:2023-07-01..2023-07-31", Message("a date range; open ends allowed: date:2023-07..")),
    ("type:photo", Message("only photos (type:presentation: only slides)")),
    ("lang:ru", Message("pages in a language: en, ru, az, ...")),
]

MIN_PREFIX = 3  # letters before "*"
# Parentheses and negations nested deeper than this are not a query anyone types; the parser
# recurses once per level, so a cap keeps hostile input (hundreds of "(" or "-") from
# exhausting the stack. Such a query is searched as plain words, with a notice.
MAX_DEPTH = 20
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
    """A typed word; `start`/`end` locate it in the query text (for did-you-mean)."""

    text: str
    start: int = -1
    end: int = -1
    prefix: bool = False


@dataclass(frozen=True)
class Quoted:
    """A quoted phrase."""

    text: str


@dataclass(frozen=True)
class Filter:
    """`name:value`, e.g. year:2023 or speaker:"Ann Lee" (quoted)."""

    name: str
    value: str
    quoted: bool = False


@dataclass(frozen=True)
class Not:
    """Leave out what `child` matches (-word, NOT word)."""

    child: object


@dataclass(frozen=True)
class And:
    """All of the children (words side by side, or AND)."""

    children: tuple


@dataclass(frozen=True)
class Or:
    """Any of the children (OR)."""

    children: tuple


# ---------------------------------------------------------------------------- lexer/parser


def _lex(text: str) -> list[tuple]:
    """Tokens: PHRASE, LP, RP, NEG, OR, AND, NOT, FIELD and WORD (see `_lex_run`)."""
    tokens: list[tuple] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise MalformedQuery(Message("The query has an unmatched quotation mark"))
            tokens.append(("PHRASE", text[i + 1 : end]))
            i = end + 1
        elif c in "()":
            tokens.append(("LP" if c == "(" else "RP",))
            i += 1
        elif c == "-" and (i + 1 >= n or text[i + 1].isspace()):
            raise MalformedQuery(Message("A “-” must be followed by a word to leave out"))
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
    """One run of non-space text: an operator, a `name:value` filter or a word."""
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
                raise MalformedQuery(Message("The query has an unmatched quotation mark"))
            tokens.append(("FIELD", name.lower(), text[j + 1 : end], True))
            return end + 1
        if not value:
            raise MalformedQuery(Message("“%(filter)s” needs a value after the colon", filter=run))
        tokens.append(("FIELD", name.lower(), value, False))
    else:
        prefix = run.endswith("*")
        tokens.append(("WORD", Word(run.rstrip("*"), i, j, prefix)))
    return j


class _Parser:
    """Recursive descent: OR binds loosest, then AND (or juxtaposition), then NOT and -."""

    def __init__(self, tokens: list[tuple]):
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    def descend(self) -> None:
        """One level deeper (a parenthesis or a negation); MalformedQuery past MAX_DEPTH."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise MalformedQuery(
                f"The query nests parentheses or negations more than {MAX_DEPTH} levels deep"
            )

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def parse(self):
        if not self.tokens:
            return And(())
        node = self.or_expr()
        if self.peek() is not None:
            raise MalformedQuery(Message("The query has an unmatched parenthesis"))
        return node

    def or_expr(self):
        children = [self.and_expr()]
        while self.peek() == "OR":
            self.i += 1
            if self.peek() in (None, "RP", "OR"):
                raise MalformedQuery(Message("“OR” needs something to search for on both sides"))
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
                Message("“OR” needs something to search for on both sides")
                if self.peek() == "OR"
                else Message("The query has an unmatched or empty parenthesis")
            )
        return children[0] if len(children) == 1 else And(tuple(children))

    def unary(self):
        kind = self.peek()
        if kind in ("NEG", "NOT"):
            self.i += 1
            if self.peek() in (None, "RP", "OR", "AND"):
                sign = "-" if kind == "NEG" else "NOT"
                raise MalformedQuery(
                    Message("A “%(sign)s” must be followed by a word to leave out", sign=sign)
                )
            self.descend()
            node = Not(self.unary())
            self.depth -= 1
            return node
        return self.primary()

    def primary(self):
        token = self.tokens[self.i]
        self.i += 1
        kind = token[0]
        if kind == "LP":
            self.descend()
            node = self.or_expr()
            if self.peek() != "RP":
                raise MalformedQuery(Message("The query has an unmatched parenthesis"))
            self.i += 1
            self.depth -= 1
            return node
        if kind == "RP":
            raise MalformedQuery(Message("The query has an unmatched parenthesis"))
        if kind == "PHRASE":
            return Quoted(token[1])
        if kind == "FIELD":
            return Filter(token[1], token[2], token[3])
        return token[1]


def parse(text: str):
    """Parse query text into a syntax tree; raises MalformedQuery with a user sentence."""
    return _Parser(_lex(text)).parse()


def _plain_words(text: str) -> And:
    """The words of text without syntax: the fallback for a query that cannot be parsed."""
    cleaned = re.sub(r'["()]', " ", text)
    words = [
        Word(w.lstrip("-").rstrip("*"))
        for w in cleaned.split()
        if w not in ("OR", "AND", "NOT", "||", "&&") and w.strip("-*")
    ]
    return And(tuple(words))


@dataclass
class ParsedQuery:
    """Query text read as syntax: the tree, the normalised text its spans refer to, notices."""

    tree: object
    text: str
    notices: list[Message] = field(default_factory=list)


def read_query(text: str) -> ParsedQuery:
    """Normalise and parse query text; malformed syntax falls back to plain words."""
    text = unicodedata.normalize("NFC", text or "").translate(_QUOTES).strip()
    try:
        return ParsedQuery(parse(text), text)
    except MalformedQuery as error:
        notice = Message(
            "%(reason)s, so the query was searched as plain words.", reason=first_message(error)
        )
        return ParsedQuery(_plain_words(text), text, [notice])


def has_filters(tree) -> bool:
    """Whether the tree holds a filter (so that a query of filters only is not 'empty')."""
    if isinstance(tree, Filter):
        return True
    if isinstance(tree, And | Or):
        return any(has_filters(c) for c in tree.children)
    return False


# ---------------------------------------------------------------------------- filter values


def year_range(value: str) -> tuple[int | None, int | None]:
    """`2023`, `2019..2023`, `2019..` or `..2023` as (low, high); ValueError with the reason."""
    return _parse_range(value, _parse_year, Message("is not a valid year (try year:2023)"))


def date_range(value: str) -> tuple[date | None, date | None]:
    """The first and last day a date range stands for (None for an open end)."""
    low, high = _parse_range(value, _parse_date, Message("is not a valid date (try 2023-07-01)"))
    return (low[0] if low else None, high[1] if high else None)


def item_kind(value: str) -> str:
    """The item kind a `type:` value names (photo, slides, decks, ...)."""
    kind = TYPE_VALUES.get(value.lower())
    if kind is None:
        raise ValueError(Message("is not a type (use type:photo or type:presentation)"))
    return kind


def language_code(value: str) -> str:
    """A `lang:` value as a lowercase ISO code."""
    code = value.lower()
    if not _LANG_RE.match(code):
        raise ValueError(Message("is not a language code (try lang:en or lang:ru)"))
    return code


def _parse_range(value: str, parse_one, message: str):
    """`a..b`, `a..`, `..b` or `a` parsed by `parse_one`, as (low, high) with low <= high."""
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
    """Four digits, nothing else: "23" or "2023a" is a mistake worth a notice."""
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
