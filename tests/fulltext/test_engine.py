"""The NumPy evaluator against Whoosh's own matchers on the same index.

The engine reads Whoosh's posting blocks directly, so these tests pin it to Whoosh: the same
documents must match and BM25F scores must agree, across several segments with deletions.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import date

import numpy as np
import pytest

from archive.fulltext import AccessScope
from archive.fulltext.whoosh import SearchIndex
from archive.fulltext.whoosh.compiler import compile_query, scope_filter
from archive.fulltext.whoosh.nodes import (
    AllOf,
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
    is_filter,
)
from tests.fulltext.fulltext_helpers import RESEARCHER, STAFF, make_item, pages

WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split()


@pytest.fixture(scope="module")
def view(tmp_path_factory):
    rng = random.Random(7)
    index = SearchIndex(tmp_path_factory.mktemp("engine"))
    for batch in range(4):  # several commits: several segments
        items = []
        for n in range(25):
            item_id = batch * 100 + n
            texts = [" ".join(rng.choices(WORDS, k=rng.randint(3, 60))) for _ in range(3)]
            items.append((make_item(item_id, title=" ".join(rng.sample(WORDS, 2))), pages(*texts)))
        index.index_items(items)
        index.remove_item(batch * 100 + 3)  # deletions inside older segments
    view = index._current_view()
    assert len(view.parts) > 1
    return view


def random_node(rng: random.Random, depth: int = 0):
    fields = ["body_x", "body_s", "title_x"]
    if depth > 2 or rng.random() < 0.4:
        return Term(rng.choice(fields), rng.choice(WORDS), rng.choice([1.0, 2.5]))
    kind = rng.choice(["and", "or", "not", "phrase"])
    if kind == "phrase":
        return Phrase("body_s", tuple(rng.sample(WORDS, 2)))  # positions: folded fields only
    children = tuple(random_node(rng, depth + 1) for _ in range(rng.randint(2, 3)))
    if kind == "and":
        return AllOf(children)
    if kind == "or":
        return AnyOf(children)
    return Without(children[0], children[1])


def whoosh_results(view, node) -> dict[int, float]:
    results = view.searcher.search(node.to_whoosh(), limit=None)
    return {hit.docnum: hit.score for hit in results}


def reference_results(view, node) -> dict[int, float]:
    """Whoosh for each term and phrase, combined here with Whoosh's rules (sums of scores).

    Whoosh's own AndNot matcher is not used as the reference: on segments with deletions it
    returned documents that its own matcher for the negative part also returned.
    """
    if isinstance(node, Term | Phrase):
        return whoosh_results(view, node)
    if isinstance(node, Without):
        negative = reference_results(view, node.negative)
        return {
            d: s for d, s in reference_results(view, node.positive).items() if d not in negative
        }
    parts = [reference_results(view, c) for c in node.children]
    if isinstance(node, AllOf):
        docs = set.intersection(*(set(p) for p in parts))
    else:
        docs = set.union(*(set(p) for p in parts))
    return {d: sum(p.get(d, 0.0) for p in parts) for d in docs}


def engine_results(view, node) -> dict[int, float]:
    matches = view.match(node)
    return dict(zip(matches.docnums().tolist(), matches.scores().tolist(), strict=True))


def has_phrase(node) -> bool:
    if isinstance(node, Phrase):
        return True
    children = getattr(node, "children", ())
    parts = [*children, *(getattr(node, n) for n in ("positive", "negative") if hasattr(node, n))]
    return any(has_phrase(c) for c in parts)


def has_without(node) -> bool:
    if isinstance(node, Without):
        return True
    return any(has_without(c) for c in getattr(node, "children", ()))


@pytest.mark.parametrize("seed", range(30))
def test_compound_queries_match_whoosh_directly(view, seed):
    rng = random.Random(1000 + seed)
    node = random_node(rng)
    while has_without(node):  # AndNot is checked against the reference combination above
        node = random_node(rng)
    assert sorted(engine_results(view, node)) == sorted(whoosh_results(view, node))


@pytest.mark.parametrize("seed", range(60))
def test_same_documents_and_scores_as_whoosh(view, seed):
    node = random_node(random.Random(seed))
    expected = reference_results(view, node)
    actual = engine_results(view, node)
    assert sorted(actual) == sorted(expected), node
    if not has_phrase(node):  # Whoosh scores phrases by span weights; we use BM25 of counts
        keys = sorted(expected)
        assert np.allclose([actual[k] for k in keys], [expected[k] for k in keys], rtol=1e-4), node


def test_bonus_adds_optional_scores_only_to_required_matches(view):
    required = Term("body_x", "alpha")
    optional = Term("body_x", "beta")
    bonus = engine_results(view, Bonus(required, optional))
    base = engine_results(view, required)
    extra = engine_results(view, optional)
    assert sorted(bonus) == sorted(base)
    for doc, score in bonus.items():
        assert score == pytest.approx(base[doc] + extra.get(doc, 0.0))


def test_bonus_checks_only_the_best_required_documents(view):
    required = AnyOf((Term("body_x", "alpha"), Term("body_x", "beta")))
    optional = Phrase("body_s", ("alpha", "beta"))
    full = engine_results(view, Bonus(required, optional))
    limited = engine_results(view, Bonus(required, optional, best=5))
    base = engine_results(view, required)
    assert sorted(limited) == sorted(full)
    boosted = {d for d in limited if limited[d] > base[d]}
    assert 0 < len(boosted) <= 5 * len(view.parts)
    assert all(limited[d] == pytest.approx(full[d]) for d in boosted)


# ---------------------------------------------------------------------------- every node kind
#
# The evaluator must agree with Whoosh for every kind of node the compiler produces, each
# compared with what Whoosh computes on its own: Term and Phrase through Whoosh's matchers,
# a ColumnRange through Whoosh's column reader, and the combinations by Whoosh's rules
# (scores add up; filters score nothing). A new kind of node fails
# `test_every_node_kind_has_a_comparison` until it has cases here.

PARTNER = AccessScope(False, frozenset({1, 2}), 7)
SCOPES = {"staff": STAFF, "researcher": RESEARCHER, "partner": PARTNER}


def node_kinds(base: type = Node) -> set[type]:
    found = set()
    for kind in base.__subclasses__():
        found |= {kind} | node_kinds(kind)
    return found


def subnodes(node: Node) -> list[Node]:
    """The direct children of a node, whatever its fields are called."""
    found = []
    for item in (getattr(node, f.name) for f in dataclasses.fields(node)):
        found += [c for c in (item if isinstance(item, tuple) else (item,)) if isinstance(c, Node)]
    return found


def kinds_in(node: Node) -> set[type]:
    return {type(node)}.union(*(kinds_in(c) for c in subnodes(node)))


def scored_phrase_in(node: Node) -> bool:
    """Whoosh scores phrases by span weights, the evaluator by BM25 of phrase counts."""
    if isinstance(node, Phrase):
        return not is_filter(node)
    return any(scored_phrase_in(c) for c in subnodes(node))


@pytest.fixture(scope="module")
def rich_view(tmp_path_factory):
    """Several segments with deletions, over items differing in every filtered field."""
    rng = random.Random(11)
    index = SearchIndex(tmp_path_factory.mktemp("kinds"))
    for batch in range(4):
        items = [rich_item(rng, batch * 100 + n) for n in range(20)]
        index.index_items(items)
        index.remove_item(batch * 100 + 3)
    index.remove_event(4)
    view = index._current_view()
    assert len(view.parts) > 1 and any(not live.all() for _, _, live in view.parts)
    return view


def rich_item(rng: random.Random, item_id: int):
    """An item whose kind, event, dates, language, visibility and grants vary."""
    event_id = rng.randint(1, 4)
    day = date(rng.randint(2019, 2023), rng.randint(1, 12), rng.randint(1, 28))
    photo = rng.random() < 0.2
    texts = [" ".join(rng.choices(WORDS, k=rng.randint(3, 40))) for _ in range(1 if photo else 3)]
    item = make_item(
        item_id,
        kind="photo" if photo else "presentation",
        title=" ".join(rng.sample(WORDS, 2)),
        speakers=(rng.choice(["Ann Speaker", "Bob Lecturer"]),),
        organisations=(rng.choice(["Org One", "Org Two"]),),
        visibility=rng.choice(["shared", "shared", "staff"]),
        event_id=event_id,
        granted_org_ids=(7,) if event_id <= 2 else (8,),
        day=day,
    )
    return item, pages(*texts, language=rng.choice(["en", "ru", None]))


def live_docnums(view) -> list[int]:
    return list(view.searcher.reader().all_doc_ids())


def column_reference(view, node: ColumnRange) -> dict[int, float]:
    """Whoosh's own column reader, document by document."""
    reader = view.searcher.reader()
    values = reader.column_reader(node.column) if reader.has_column(node.column) else None
    found = {}
    for doc in live_docnums(view):
        value = values[doc] if values is not None else 0
        if (node.low is None or value >= node.low) and (node.high is None or value <= node.high):
            found[doc] = 0.0
    return found


def whoosh_reference(view, node: Node) -> dict[int, float]:
    """What Whoosh computes for `node`, combined by Whoosh's rules."""
    if isinstance(node, ColumnRange):
        return column_reference(view, node)
    if isinstance(node, Every | NoDocs | Term | Phrase):
        found = whoosh_results(view, node)
        return dict.fromkeys(found, 0.0) if is_filter(node) else found
    if isinstance(node, Without):
        negative = whoosh_reference(view, node.negative)
        positive = whoosh_reference(view, node.positive)
        return {d: s for d, s in positive.items() if d not in negative}
    if isinstance(node, Bonus):
        optional = whoosh_reference(view, node.optional)
        required = whoosh_reference(view, node.required)
        return {d: s + optional.get(d, 0.0) for d, s in required.items()}
    parts = [whoosh_reference(view, c) for c in node.children]
    docs = set.intersection(*map(set, parts)) if isinstance(node, AllOf) else set().union(*parts)
    return {d: sum(p.get(d, 0.0) for p in parts) for d in docs}


def assert_agrees_with_whoosh(view, node: Node) -> None:
    expected = whoosh_reference(view, node)
    actual = engine_results(view, node)
    assert sorted(actual) == sorted(expected), node
    if not scored_phrase_in(node):
        keys = sorted(expected)
        assert np.allclose([actual[k] for k in keys], [expected[k] for k in keys], rtol=1e-4), node


ALPHA, BETA = Term("body_x", "alpha", 1.0), Term("body_x", "beta", 1.0)
SHARED_ONLY = Term("vis", "shared", 0.0)
NODE_CASES: dict[type, list[Node]] = {
    Term: [
        ALPHA,
        Term("body_s", "alpha", 2.5),
        Term("title_x", "gamma", 3.0),
        Term("people_s", "ann", 2.5),
        Term("body_x", "alpha", 0.0),  # a word as a pure filter
        SHARED_ONLY,
        Term("event", "2", 0.0),
        Term("slug", "event-3", 0.0),
        Term("kind", "photo", 0.0),
        Term("lang", "ru", 0.0),
        Term("grant", "7", 0.0),
        Term("org", "Org Two", 0.0),
        Term("item", "5", 0.0),
        Term("body_x", "nowhere", 1.0),
    ],
    Phrase: [
        Phrase("body_s", ("alpha", "beta")),
        Phrase("body_s", ("beta", "gamma", "delta"), 2.0),
        Phrase("title_s", ("alpha", "beta"), 3.0),
        Phrase("body_s", ("alpha", "beta"), 0.0),
        Phrase("people_s", ("ann", "speaker"), 0.0),  # item-level: one page checked per item
        Phrase("people_s", ("bob", "lecturer"), 2.5),
        Phrase("body_s", ("alpha",)),
    ],
    AllOf: [
        AllOf((ALPHA, BETA)),
        AllOf((ALPHA, SHARED_ONLY, Term("event", "1", 0.0))),
        AllOf((SHARED_ONLY, Term("lang", "en", 0.0))),  # filters only: a mask
        AllOf((ALPHA, Phrase("body_s", ("beta", "gamma")), ColumnRange("c_year", 2021, None))),
    ],
    AnyOf: [
        AnyOf((ALPHA, BETA, Term("title_s", "gamma", 3.0))),
        AnyOf((Term("event", "1", 0.0), Term("event", "3", 0.0))),
        AnyOf((ALPHA, Term("kind", "photo", 0.0))),
    ],
    Without: [
        Without(ALPHA, BETA),
        Without(Every(), Term("kind", "photo", 0.0)),  # a query of only `-word`
        Without(SHARED_ONLY, Term("lang", "ru", 0.0)),
        Without(AnyOf((ALPHA, BETA)), Phrase("body_s", ("alpha", "beta"))),
    ],
    Bonus: [
        Bonus(ALPHA, BETA),
        Bonus(AllOf((ALPHA, BETA)), Phrase("body_s", ("alpha", "beta"), 2.0)),
        Bonus(Phrase("body_s", ("alpha", "beta")), AllOf((ALPHA, BETA))),
    ],
    Every: [Every()],
    NoDocs: [NoDocs()],
    ColumnRange: [
        ColumnRange("c_year", 2021, 2022),
        ColumnRange("c_from", None, date(2021, 6, 30).toordinal()),
        ColumnRange("c_to", date(2022, 3, 1).toordinal(), None),
        ColumnRange("c_kind", 2, 2),
        ColumnRange("c_event", 2, 3),
    ],
}
CASES = [(kind.__name__, node) for kind, nodes in NODE_CASES.items() for node in nodes]


def test_every_node_kind_has_a_comparison():
    assert set(NODE_CASES) == node_kinds(), "add cases for the new kind of node"
    assert all(type(node) is kind for kind, nodes in NODE_CASES.items() for node in nodes)


@pytest.mark.parametrize(
    ("kind", "node"), CASES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(CASES)]
)
def test_each_node_kind_matches_whoosh(rich_view, kind, node):
    assert_agrees_with_whoosh(rich_view, node)


COMPILED_QUERIES = [
    "alpha",
    "alpha beta",  # all words, with the phrase bonus
    '"alpha beta"',
    "alpha OR beta",
    "alpha -beta",
    "-beta",
    "alpha NOT (beta OR gamma)",
    "(alpha OR beta) gamma",
    "alp*",
    "alpha-beta",  # a joined word: its whole and its parts in order
    "type:photo",
    "type:presentation alpha",
    "lang:ru",
    "year:2022",
    "year:2021..2022",
    "date:2022-03..",
    "date:..2021-06-30",
    "event:event-2",
    "event:2",
    'event:"workshop number"',
    "speaker:ann",
    "speaker:bob*",
    "org:two",
    "",
    "-",
    "nowhere",
]


def test_compiled_queries_cover_every_node_kind(rich_view):
    reader = rich_view.searcher.reader()
    seen = set().union(*(kinds_in(compile_query(q, reader).node) for q in COMPILED_QUERIES))
    seen |= kinds_in(scope_filter(PARTNER))
    assert seen == node_kinds()


@pytest.mark.parametrize("scope", sorted(SCOPES))
@pytest.mark.parametrize("text", COMPILED_QUERIES)
def test_compiled_queries_within_a_scope_match_whoosh(rich_view, text, scope):
    compiled = compile_query(text, rich_view.searcher.reader())
    assert_agrees_with_whoosh(rich_view, all_of([compiled.node, scope_filter(SCOPES[scope])]))
