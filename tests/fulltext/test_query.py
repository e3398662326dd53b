"""The search-box language: parsing, filters, malformed input and the documented syntax."""

from __future__ import annotations

import os
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import archive.fulltext.parser as query_module
from archive.fulltext import SYNTAX_HELP, SearchRequest
from archive.fulltext.parser import (
    MAX_DEPTH,
    And,
    Filter,
    MalformedQuery,
    Not,
    Or,
    Quoted,
    Word,
    parse,
)
from archive.fulltext.whoosh.compiler import compile_query
from archive.fulltext.whoosh.nodes import ColumnRange, Term
from tests.fulltext.fulltext_helpers import RESEARCHER, STAFF, ids, photo_ids


def words(*texts: str) -> tuple:
    return tuple(Word(t) for t in texts)


def strip_spans(tree):
    """Syntax trees without the character spans of words, for comparison."""
    if isinstance(tree, Word):
        return Word(tree.text, prefix=tree.prefix)
    if isinstance(tree, And | Or):
        return type(tree)(tuple(strip_spans(c) for c in tree.children))
    if isinstance(tree, Not):
        return Not(strip_spans(tree.child))
    return tree


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("digital divide", And(words("digital", "divide"))),
        ('"digital divide"', Quoted("digital divide")),
        ("egov OR e-government", Or(words("egov", "e-government"))),
        ("budget -draft", And((Word("budget"), Not(Word("draft"))))),
        ("budget NOT draft", And((Word("budget"), Not(Word("draft"))))),
        ("a AND b", And(words("a", "b"))),
        ("(tax OR budget) reform", And((Or(words("tax", "budget")), Word("reform")))),
        ("govern*", Word("govern", prefix=True)),
        ("event:baku-2023", Filter("event", "baku-2023")),
        ('speaker:"Ann Lee"', Filter("speaker", "Ann Lee", True)),
        ("Year:2019..2023", Filter("year", "2019..2023")),
        ("type:photo lang:ru", And((Filter("type", "photo"), Filter("lang", "ru")))),
        ("10:30 http://x.org", And(words("10:30", "http://x.org"))),  # unknown "fields"
        ("", And(())),
    ],
)
def test_parse(text, tree):
    assert strip_spans(parse(text)) == tree


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('"beta and gamma', "unmatched quotation mark"),
        ("(tax OR budget", "unmatched parenthesis"),
        ("tax OR budget)", "unmatched parenthesis"),
        ("()", "parenthesis"),
        ("tax OR", "OR"),
        ("OR tax", "OR"),
        ("tax OR OR budget", "OR"),
        ("-", "“-”"),
        ("tax -", "“-”"),
        ("tax NOT", "NOT"),
        ("speaker:", "needs a value"),
        ('speaker:"Ann', "unmatched quotation mark"),
    ],
)
def test_parse_rejects_malformed_syntax(text, reason):
    with pytest.raises(MalformedQuery, match=reason):
        parse(text)


@pytest.mark.parametrize(
    ("text", "expected_notice"),
    [
        ('"beta and gamma', "unmatched quotation mark, so the query was searched as plain words"),
        ("(beta OR gamma", "unmatched parenthesis, so the query was searched as plain words"),
        ("beta OR", "“OR” needs something to search for on both sides"),
        ("beta -", "must be followed by a word"),
        ("year:abc beta", "“year:abc” is not a valid year"),
        ("date:2023-13-01 beta", "is not a valid date"),
        ("type:video beta", "is not a type"),
        ("lang:russian!! beta", "is not a language code"),
        ("be* gamma", "at least 3 letters before “*”"),
    ],
)
def test_malformed_queries_are_searched_as_words_with_a_notice(add, search, text, expected_notice):
    add(1, "to be beta and gamma")
    page = search(text)
    assert expected_notice in page.notice
    assert page.notice.endswith(".")
    if "year" not in text and "date" not in text and "type" not in text and "lang" not in text:
        assert ids(page) == [1]


def test_only_a_minus_finds_nothing_and_says_so(add, search):
    add(1, "beta")
    page = search("-")
    assert page.total_hits == 0
    assert "nothing to search for" in page.notice


def test_empty_query_lists_everything_visible_by_date(add, search):
    add(1, "old", day=date(2019, 1, 1))
    add(2, "new", day=date(2024, 1, 1))
    add(3, "hidden", visibility="staff")
    page = search("", RESEARCHER)
    assert ids(page) == [2, 1]
    assert page.notice is None


@pytest.mark.parametrize(
    ("text", "column", "low", "high"),
    [
        ("year:2023", "c_year", 2023, 2023),
        ("year:2019..2023", "c_year", 2019, 2023),
        ("year:2023..2019", "c_year", 2019, 2023),
        ("year:2019..", "c_year", 2019, None),
        ("year:..2023", "c_year", None, 2023),
    ],
)
def test_year_filters(text, column, low, high):
    assert compile_query(text, reader=None).node == ColumnRange(column, low, high)


@pytest.mark.parametrize(
    ("value", "low", "high"),
    [
        ("2023-07-01..2023-07-31", date(2023, 7, 1), date(2023, 7, 31)),
        ("2023-07", date(2023, 7, 1), date(2023, 7, 31)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2023", date(2023, 1, 1), date(2023, 12, 31)),
        ("2023-07-05", date(2023, 7, 5), date(2023, 7, 5)),
        ("..2023-07", None, date(2023, 7, 31)),
        ("2023-07..", date(2023, 7, 1), None),
    ],
)
def test_date_filters_are_range_overlaps(value, low, high):
    node = compile_query(f"date:{value}", reader=None).node
    ranges = node.children if hasattr(node, "children") else (node,)
    expected = []
    if high is not None:
        expected.append(ColumnRange("c_from", None, high.toordinal()))
    if low is not None:
        expected.append(ColumnRange("c_to", low.toordinal(), None))
    assert list(ranges) == expected


def test_type_and_lang_filters_are_terms():
    assert compile_query("type:slides", None).node == Term("kind", "presentation", 0.0)
    assert compile_query("type:Photos", None).node == Term("kind", "photo", 0.0)
    assert compile_query("lang:RU", None).node == Term("lang", "ru", 0.0)


def test_curly_quotes_and_guillemets_are_phrases():
    assert compile_query("«электронное правительство»", None).terms == (
        "электронное правительство",
    )
    assert compile_query("“digital divide”", None).terms == ("digital divide",)


def test_terms_leave_out_negated_words_and_filters():
    compiled = compile_query('budget "open data" -draft speaker:ann', None)
    assert compiled.terms == ("budget", "open data")


def test_every_syntax_help_example_runs_without_a_notice(add, search):
    add(1, "digital divide")
    for example, meaning in SYNTAX_HELP:
        assert meaning
        page = search(example)
        assert page.notice is None, example


def test_module_docstring_documents_every_filter():
    doc = query_module.__doc__
    for name in query_module.FIELD_NAMES:
        assert f"{name}:" in doc, name
    for example, _ in SYNTAX_HELP:
        assert example.split(":")[0].split()[0].strip('"(-') in doc, example


query_text = st.text(
    alphabet=st.sampled_from(list('ab zé"()-*:.OR NOT AND year date type lang 2023..ж中')),
    max_size=40,
) | st.text(max_size=30)


@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=query_text)
def test_search_never_raises(index, text):
    from tests.fulltext.fulltext_helpers import make_item, pages

    if index.doc_count() == 0:
        index.index_item(make_item(1), pages("a b zé ж 中文 2023"))
        index.index_item(make_item(2, kind="photo", title="ab"), pages("ab"))
    for scope in (STAFF, RESEARCHER):
        page = index.search(SearchRequest(text, scope, filters={"year": ("x", "2023")}))
        assert page.total_hits >= 0
        if page.notice:
            assert page.notice.endswith(".")
        assert photo_ids(page) in ([], [2])


@pytest.mark.parametrize(
    "text",
    [
        "(" * 250 + "beta" + ")" * 250,
        "-" * 400 + "beta",
        "NOT " * 300 + "beta",
        "(-" * 200 + "beta" + ")" * 200,
    ],
)
def test_deeply_nested_queries_are_searched_as_words(add, search, text):
    """Hundreds of nested parentheses or negations once exhausted the stack (HTTP 500 and a
    3,000-line traceback); past MAX_DEPTH they are searched as words, with a notice."""
    add(1, "alpha beta gamma")
    page = search(text)
    assert f"more than {MAX_DEPTH} levels deep" in page.notice
    assert page.notice.endswith("searched as plain words.")
    assert ids(page) == [1]


def test_nesting_up_to_the_limit_is_still_syntax(add, search):
    add(1, "alpha beta")
    add(2, "alpha gamma")
    depth = MAX_DEPTH - 1  # the "-" is one level more
    text = "(" * depth + "alpha -gamma" + ")" * depth
    page = search(text)
    assert page.notice is None
    assert ids(page) == [1]
