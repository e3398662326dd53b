"""Syntax trees of the search box language (`archive.fulltext.parser`) -> query nodes.

The compiler decides what a typed word means in this index: which field families it is
looked up in (exact `_x` counts, folded `_s` positions), with which weights
(`schema.FIELD_WEIGHTS`), how a prefix expands over the index's vocabulary, and which
phrase bonus rewards words typed side by side. `scope_filter` turns an `AccessScope` into
the filter node combined into every search.

A prefix expands within the user's scope (`expand_in_scope`): the vocabulary holds words of
documents the user may not see, so only words found in at least one visible document are
candidates, ranked by how many visible documents hold them, and "matches many words" is
said only when many visible words match. Otherwise hidden words could crowd a visible match
out of the expansion, and the notice would reveal that hidden words exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice

from archive.fulltext.analysis import AnalysedWord, analyse_words, fold
from archive.fulltext.documents import SHARED
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
from archive.fulltext.scope import AccessScope
from archive.fulltext.whoosh.nodes import (
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
from archive.fulltext.whoosh.schema import FIELD_WEIGHTS, TEXT_FIELDS

PREFIX_TERMS = 30  # most frequent expansions kept per field
PREFIX_SCAN = 3000  # lexicon entries looked at per field before giving up
PREFIX_FIELDS = ("title", "people", "body")
PHRASE_BONUS = {"title": 3.0, "body": 2.0}
PHRASE_BONUS_CHECKED = 200  # best-scoring pages per segment checked for the phrase bonus

# (field name, term) -> how many live documents within the user's scope hold the term.
ScopeCounter = Callable[[str, str], int]


@dataclass
class CompiledQuery:
    """A query ready to run: the node, what to highlight, and sentences for the user."""

    node: Node
    text: str  # the normalised query text that word spans refer to
    terms: tuple[str, ...]
    notices: list[Message] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)  # plain words, for did-you-mean
    empty: bool = False  # nothing was asked for: every visible document matches


class Compiler:
    """Turns a syntax tree into query nodes; prefix expansion needs the index lexicon and,
    for a restricted scope, `in_scope` to count the documents the user may see."""

    def __init__(self, reader, in_scope: ScopeCounter | None = None):
        self.reader = reader
        self.in_scope = in_scope
        self.notices: list[Message] = []
        self.terms: dict[str, None] = {}
        self.words: list[Word] = []

    def compile(self, tree, negated: bool = False) -> Node:
        """The node for `tree`; under `negated`, words are not highlighted or corrected."""
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
        """Positives all required, plain words typed side by side rewarded as a phrase, and
        the negatives left out in one Without."""
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
        """The typed words as a folded phrase in titles and page text, for ranking only."""
        folded = tuple(p for w in analyse_words(text) for p in w.folded_parts)
        return any_of(Phrase(f"{name}_s", folded, weight) for name, weight in PHRASE_BONUS.items())

    def _highlight(self, text: str) -> None:
        """Remember a word or phrase to mark in snippets and the viewer."""
        self.terms[text.lower()] = None

    def _word(self, word: Word, negated: bool) -> Node:
        """One typed word in every text field, exact and folded."""
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
        """`word*` as the most frequent matching terms; too short a stem is a whole word."""
        analysed = analyse_words(word.text)
        if not analysed:
            return Every()
        first = analysed[0]
        stem = first.exact_whole or first.exact_parts[0]
        if len(analysed) > 1 or len(stem) < MIN_PREFIX:
            self.notices.append(
                Message(
                    "Prefix search needs at least %(count)s letters before “*”, so "
                    "“%(word)s” was searched as a whole word.",
                    count=MIN_PREFIX,
                    word=word.text,
                )
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
                Message(
                    "“%(prefix)s*” matches many words; only the %(count)s most frequent were "
                    "searched.",
                    prefix=stem,
                    count=PREFIX_TERMS,
                )
            )
        return any_of(nodes)

    def _expand(self, fieldname: str, prefix: str) -> tuple[list[str], bool]:
        """Up to PREFIX_TERMS terms starting with `prefix`, and whether more were left out."""
        found = [
            b.decode("utf-8")
            for b in islice(self.reader.expand_prefix(fieldname, prefix), PREFIX_SCAN)
        ]
        if self.in_scope is not None:
            return expand_in_scope(found, fieldname, self.in_scope)
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
        """A filter, or its text searched as words (with a notice) when its value is bad."""
        try:
            return self._filter_node(flt, negated)
        except ValueError as error:
            self.notices.append(
                Message(
                    "“%(filter)s” %(reason)s, so it was searched as words.",
                    filter=f"{flt.name}:{flt.value}",
                    reason=first_message(error),
                )
            )
            return self._text(f"{flt.name} {flt.value}", TEXT_FIELDS, phrase=False)

    def _filter_node(self, flt: Filter, negated: bool) -> Node:
        """The node of one `name:value` filter; ValueError with the reason if it is bad."""
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
            return ColumnRange("c_year", *year_range(value))
        if name == "date":
            first, last = date_range(value)
            # Overlap of the document's [c_from, c_to] with the asked range.
            ranges = []
            if last is not None:
                ranges.append(ColumnRange("c_from", None, last.toordinal()))
            if first is not None:
                ranges.append(ColumnRange("c_to", first.toordinal(), None))
            return all_of(ranges)
        if name == "type":
            return Term("kind", item_kind(value), 0.0)
        if name == "lang":
            return Term("lang", language_code(value), 0.0)
        raise ValueError(Message("is not a known filter"))


def expand_in_scope(
    candidates: list[str], fieldname: str, in_scope: ScopeCounter
) -> tuple[list[str], bool]:
    """Of the candidate terms, those some visible document holds, most visible first (up to
    PREFIX_TERMS), and whether more visible ones were left out. Nothing here depends on
    documents outside the scope."""
    counts = {term: in_scope(fieldname, term) for term in candidates}
    visible = sorted((t for t in candidates if counts[t]), key=lambda t: (-counts[t], t))
    return visible[:PREFIX_TERMS], len(visible) > PREFIX_TERMS


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
    """A phrase in one field family: folded, with a bonus where the exact words are there too.

    Positions are kept in the folded field only (see `postings`): a page that holds the
    folded phrase and every exact word of it ranks as an exact phrase match. The exact
    words are only looked up in the pages where the folded phrase was found.
    """
    weight = FIELD_WEIGHTS[name] if boost else 0.0
    folded_phrase = Phrase(f"{name}_s", folded, weight)
    if not boost:
        return folded_phrase
    exact_words = all_of(Term(f"{name}_x", word, weight) for word in dict.fromkeys(exact))
    return Bonus(folded_phrase, exact_words)


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


def compile_query(text: str, reader, in_scope: ScopeCounter | None = None) -> CompiledQuery:
    """Parse and compile query text; malformed syntax falls back to plain words. With
    `in_scope`, prefixes expand over what the user may see (see `expand_in_scope`)."""
    parsed = read_query(text)
    notices = list(parsed.notices)
    compiler = Compiler(reader, in_scope)
    node = compiler.compile(parsed.tree)
    empty = not parsed.text
    if not empty and isinstance(node, Every) and not has_filters(parsed.tree):
        notices.append(Message("There was nothing to search for in the query."))
        node = NoDocs()
    return CompiledQuery(
        node, parsed.text, tuple(compiler.terms), notices + compiler.notices, compiler.words, empty
    )
