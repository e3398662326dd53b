"""Query nodes: the small tree the compiler produces and the evaluator runs.

Nodes are frozen dataclasses, so they are hashable and a filter's mask is cached per
segment by node. Field names are the Whoosh schema's (`body_x`, `title_s`, `vis`, `c_year`).
`to_whoosh()` gives the equivalent Whoosh query for the nodes that have one, which the tests
use to check the NumPy evaluator against Whoosh's own matchers; a `ColumnRange` has none
(Whoosh has no query over column values) and is checked against Whoosh's column reader.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from whoosh import query as wq


class Node:
    """Base of query nodes."""

    def to_whoosh(self) -> wq.Query:
        """The equivalent Whoosh query, for checking the evaluator against Whoosh."""
        raise TypeError(f"{type(self).__name__} has no Whoosh equivalent")


@dataclass(frozen=True)
class Term(Node):
    """One term in one field; scored by BM25 unless it is a filter."""

    field: str
    text: str
    boost: float = 1.0  # 0 makes it a pure filter

    def to_whoosh(self) -> wq.Query:
        return wq.Term(self.field, self.text, boost=self.boost or 1.0)


@dataclass(frozen=True)
class Phrase(Node):
    """Words at consecutive positions in one field, scored like a term (see evaluator)."""

    field: str
    words: tuple[str, ...]
    boost: float = 1.0

    def to_whoosh(self) -> wq.Query:
        return wq.Phrase(self.field, list(self.words), boost=self.boost or 1.0)


@dataclass(frozen=True)
class AllOf(Node):
    """Documents matching every child; scores add up."""

    children: tuple[Node, ...]

    def to_whoosh(self) -> wq.Query:
        return wq.And([c.to_whoosh() for c in self.children])


@dataclass(frozen=True)
class AnyOf(Node):
    """Documents matching any child; scores of the children that match add up."""

    children: tuple[Node, ...]

    def to_whoosh(self) -> wq.Query:
        return wq.Or([c.to_whoosh() for c in self.children])


@dataclass(frozen=True)
class Without(Node):
    """Documents of `positive` that do not match `negative` (AND NOT)."""

    positive: Node
    negative: Node

    def to_whoosh(self) -> wq.Query:
        return wq.AndNot(self.positive.to_whoosh(), self.negative.to_whoosh())


@dataclass(frozen=True)
class Bonus(Node):
    """Documents of `required`, scored higher where `optional` also matches (AND MAYBE).

    With `best`, only that many of the highest-scoring required documents (per segment) are
    checked for the optional part: a phrase bonus for two common words would otherwise
    check positions in tens of thousands of pages that rank nowhere near the first page.
    """

    required: Node
    optional: Node
    best: int | None = None

    def to_whoosh(self) -> wq.Query:
        return wq.AndMaybe(self.required.to_whoosh(), self.optional.to_whoosh())


@dataclass(frozen=True)
class Every(Node):
    """Every document: an empty query, or a part that analysed to nothing."""

    def to_whoosh(self) -> wq.Query:
        return wq.Every()


@dataclass(frozen=True)
class NoDocs(Node):
    """No document: a query that asks for nothing searchable."""

    def to_whoosh(self) -> wq.Query:
        return wq.NullQuery


@dataclass(frozen=True)
class ColumnRange(Node):
    """A filter on a numeric column: low <= value <= high, None meaning open."""

    column: str
    low: int | None
    high: int | None


def all_of(children: Iterable[Node]) -> Node:
    """AllOf without redundant parts: Every drops out, NoDocs wins, one child stands alone."""
    kids = tuple(c for c in children if not isinstance(c, Every))
    if any(isinstance(c, NoDocs) for c in kids):
        return NoDocs()
    if not kids:
        return Every()
    return kids[0] if len(kids) == 1 else AllOf(kids)


def any_of(children: Iterable[Node]) -> Node:
    """AnyOf without redundant parts: NoDocs drops out, one child stands alone."""
    kids = tuple(c for c in children if not isinstance(c, NoDocs))
    if not kids:
        return NoDocs()
    return kids[0] if len(kids) == 1 else AnyOf(kids)


def _is_text_field(name: str) -> bool:
    """Exact (`_x`) and folded (`_s`) text fields score; ID fields only select."""
    return name.endswith(("_x", "_s"))


def is_filter(node: Node) -> bool:
    """True when a node only selects documents and contributes no score."""
    if isinstance(node, Term):
        return node.boost == 0 or not _is_text_field(node.field)
    if isinstance(node, Phrase):
        return node.boost == 0
    if isinstance(node, AllOf | AnyOf):
        return all(is_filter(c) for c in node.children)
    if isinstance(node, Without):
        return is_filter(node.positive)
    if isinstance(node, Bonus):
        return False
    return True  # Every, NoDocs, ColumnRange
