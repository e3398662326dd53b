"""The NumPy evaluator against Whoosh's own matchers on the same index.

The engine reads Whoosh's posting blocks directly, so these tests pin it to Whoosh: the same
documents must match and BM25F scores must agree, across several segments with deletions.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from archive.fulltext.whoosh import SearchIndex
from archive.fulltext.whoosh.nodes import AllOf, AnyOf, Bonus, Phrase, Term, Without
from tests.fulltext.fulltext_helpers import make_item, pages

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
        return Phrase("body_x", tuple(rng.sample(WORDS, 2)))
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
    optional = Phrase("body_x", ("alpha", "beta"))
    full = engine_results(view, Bonus(required, optional))
    limited = engine_results(view, Bonus(required, optional, best=5))
    base = engine_results(view, required)
    assert sorted(limited) == sorted(full)
    boosted = {d for d in limited if limited[d] > base[d]}
    assert 0 < len(boosted) <= 5 * len(view.parts)
    assert all(limited[d] == pytest.approx(full[d]) for d in boosted)
