"""The tokeniser, folding and stemming: what becomes a term, table-driven."""

from __future__ import annotations

import pytest

from archive.fulltext.analysis import (
    EXACT,
    FOLDED,
    analyse_words,
    fold,
    folded_form,
    iter_raw_tokens,
)
from archive.fulltext.whoosh.tokenizer import ArchiveTokenizer


def exact_terms(text: str) -> list[str]:
    return [t.text for t in ArchiveTokenizer(EXACT)(text)]


def folded_terms(text: str) -> list[str]:
    return [t.text for t in ArchiveTokenizer(FOLDED)(text)]


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("R and IT in the US", ["r", "and", "it", "in", "the", "us"]),  # short words, no stops
        ("beta and gamma", ["beta", "and", "gamma"]),
        ("ugost2008.bst", ["ugost2008.bst", "ugost2008", "bst"]),
        ("e-Government", ["e-government", "e", "government"]),
        ("snake_case/path", ["snake_case/path", "snake", "case", "path"]),
        ("Azerbaijan's", ["azerbaijan's", "azerbaijan", "s"]),
        ("end. Next", ["end", "next"]),  # a full stop is not a joiner at a word end
        ("электронное правительство", ["электронное", "правительство"]),
        ("Hökumət İKT", ["hökumət", "i̇kt"]),  # exact field keeps diacritics
        ("COVID-19 2019–2023", ["covid-19", "covid", "19", "2019", "2023"]),
        ("Windows10 русскийEnglish", ["windows10", "русскийenglish"]),
        ("中文字符", ["中文", "文字", "字符"]),  # overlapping bigrams
        ("日 本", ["日", "本"]),  # a lone CJK character is kept
        ("전자정부 서비스", ["전자", "자정", "정부", "서비", "비스"]),
        ("Python中文", ["python", "中文"]),
        ("", []),
        ("!!! --- ...", []),
    ],
)
def test_exact_tokens(text, terms):
    assert exact_terms(text) == terms


@pytest.mark.parametrize(
    ("word", "folded"),
    [
        ("governments", "govern"),
        ("Government", "govern"),
        ("правительства", "правительств"),
        ("правительство", "правительств"),
        ("Ёлка", "елк"),
        ("hökumət", "hokumet"),
        ("HÖKUMƏT", "hokumet"),
        ("Şəki", "seki"),
        ("ağac", "agac"),
        ("çörək", "corek"),
        ("qızıl", "qizil"),
        ("üzüm", "uzum"),
        ("İstanbul", "istanbul"),
        ("Straße", "strass"),  # folded "strasse", then English-stemmed
        ("Łódź", "lodz"),
        ("2019", "2019"),
        ("ugost2008", "ugost2008"),  # digits: folded, not stemmed
        ("e-governments", "e-governments"),  # joined wholes are folded, not stemmed
        ("中文", "中文"),
    ],
)
def test_folded_form(word, folded):
    assert folded_form(word) == folded


def test_fold_leaves_cyrillic_short_i_alone():
    assert fold("Йод") == "йод"


@pytest.mark.parametrize(
    ("text", "positions"),
    [
        (
            "a e-Government b",
            [("a", 0), ("e-Government", 1), ("e", 1), ("Government", 2), ("b", 3)],
        ),
        ("x 中文字 y", [("x", 0), ("中文", 1), ("文字", 2), ("y", 3)]),
    ],
)
def test_positions_keep_phrases_across_parts(text, positions):
    assert [(t.text, t.pos) for t in iter_raw_tokens(text)] == positions


def test_character_offsets_point_into_the_text():
    text = "Об электронном правительстве и e-Government"
    for token in iter_raw_tokens(text):
        assert text[token.start : token.end] == token.text


def test_tokenizer_with_chars_and_positions_matches_raw_tokens():
    # Whoosh tokenizers reuse one Token object: read it while iterating.
    tokens = ArchiveTokenizer(FOLDED)("Digital divides", positions=True, chars=True)
    assert [(t.text, t.pos, t.startchar, t.endchar) for t in tokens] == [
        ("digit", 0, 0, 7),
        ("divid", 1, 8, 15),
    ]


def test_analyse_words_gives_wholes_and_parts():
    (word,) = analyse_words("e-Governments")
    assert word.exact_whole == "e-governments"
    assert word.exact_parts == ("e", "governments")
    assert word.folded_parts == ("e", "govern")


def test_tokenizer_is_picklable_and_comparable():
    import pickle

    tokenizer = ArchiveTokenizer(FOLDED)
    assert pickle.loads(pickle.dumps(tokenizer)) == tokenizer  # noqa: S301 - our own bytes
    assert tokenizer != ArchiveTokenizer(EXACT)
    with pytest.raises(ValueError):
        ArchiveTokenizer("porter")
