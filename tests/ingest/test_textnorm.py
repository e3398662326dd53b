"""Each normalisation step, and that they compose in the right order."""

import pytest

from archive.ingest.textnorm import normalise_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("takimata: taki\ufffemata sanctus", "takimata: takimata sanctus"),  # pdfium marker
        ("Übungsauf\ufffegaben", "Übungsaufgaben"),
        ("Schwarz\ufffeWeiß", "Schwarz-Weiß"),  # a real compound broken at its hyphen
        ("soft\u00adware", "software"),
        ("govern\u00ad\nment", "government"),
        ("stray\uffff noncharacter", "stray noncharacter"),
    ],
)
def test_break_artefacts_are_removed_and_words_joined(raw, expected):
    assert normalise_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("the govern-\nment said", "the government said"),
        ("the govern-\r\nment said", "the government said"),
        ("e-Government stays", "e-Government stays"),
        ("an e-\nGovernment portal", "an e-Government portal"),
        ("from 1990-\n2000", "from 1990-\n2000"),
        ("bullet -\nnext", "bullet -\nnext"),
    ],
)
def test_line_end_hyphenation(raw, expected):
    assert normalise_text(raw) == expected


def test_ligatures_and_compatibility_forms_are_folded():
    assert normalise_text("ﬁnd the ﬂow o\ufb03ces") == "find the flow offices"
    assert normalise_text("ＡＢＣ\u00a0x") == "ABC x"


def test_result_is_nfc():
    assert normalise_text("Cafe\u0301") == "Café"


def test_cp1251_read_as_latin1_is_repaired():
    mojibake = "Ïðèâåò, ìèð! Ýòî òåñòîâûé òåêñò íà ðóññêîì ÿçûêå, åù¸ îäíà ñòðîêà."
    assert normalise_text(mojibake) == (
        "Привет, мир! Это тестовый текст на русском языке, ещё одна строка."
    )


@pytest.mark.parametrize(
    "latin",
    [
        "Café crème brûlée à la française, déjà vu",
        "Müller, Größe, Übermäßig schön",
        "Ærøskøbing és Sødermålm",
        "ÀÉÎÕÜ",
    ],
)
def test_real_latin_text_is_left_alone(latin):
    assert normalise_text(latin) == latin


def test_control_characters_and_invisible_marks_are_removed():
    assert normalise_text("a\x00b\x07c") == "a b c"
    assert normalise_text("zero\u200bwidth\ufeff mark\u200e") == "zerowidth mark"
    assert normalise_text("private\ue000use") == "privateuse"


def test_joiners_that_carry_meaning_are_kept():
    assert normalise_text("می\u200cخواهم") == "می\u200cخواهم"


def test_whitespace_is_collapsed_but_line_breaks_are_kept():
    raw = "  Title   \t here \r\n\r\n\r\n\r\nfirst  line\nsecond\u2028third  "
    assert normalise_text(raw) == "Title here\n\nfirst line\nsecond\nthird"


def test_empty_and_blank_text():
    assert normalise_text("") == ""
    assert normalise_text(" \n\t \x00") == ""
