"""Which text layers are trusted and which pages are recognised instead."""

from __future__ import annotations

import pytest

from archive.ingest.ocr import Tesseract
from archive.ingest.recognition import OcrSettings, dictionary
from archive.ingest.textquality import Context, assess_page, assess_pages
from archive.models import OcrReason
from bench.text_layers import judge_file
from tests.conftest import CORPUS

WORDS = frozenset(
    "digital divide persists between within countries government services citizens open "
    "data registry identity цифровой разрыв сохраняется между городом селом правительство "
    "налоговая декларация".split()
)
ENGLISH = "The digital divide persists between and within countries. " * 3
RUSSIAN = "Цифровой разрыв сохраняется между городом и селом правительство " * 3
LOOKALIKES = "Hanorosas AeKnapai KoppeKn1pOBKH H8norosbiH nepHOA 0T48THbiH CyMMa Hanora " * 3


def verdict(text, raw=None, share=0.0, **context):
    return assess_page(text if raw is None else raw, text, share, Context(**context))


def test_good_layers_are_trusted():
    assert verdict(ENGLISH, dictionary=WORDS).reason is None
    assert verdict(RUSSIAN, dictionary=WORDS).reason is None
    assert verdict("Budget 2023", share=0.0).reason is None  # short, but no image: a title


@pytest.mark.parametrize(
    ("raw", "text", "share", "reason", "test"),
    [
        ("", "", 1.0, OcrReason.EMPTY, "no text"),
        ("  \n ", "", 0.0, OcrReason.EMPTY, "no text"),
        ("Page 3", "Page 3", 0.9, OcrReason.THIN, "few words on an image"),
        ("\ue001\ue002\ue003 \ue004\ue005 ab", "ab", 0.0, OcrReason.UNREADABLE, "private-use"),
        ("g42 g43 g4A g51 word", "g42 g43 g4A g51 word", 0.0, OcrReason.UNREADABLE, "glyph names"),
        ("(cid:12) (cid:7) (cid:99)", "", 0.0, OcrReason.UNREADABLE, "glyph names"),
    ],
)
def test_missing_thin_and_unreadable_layers(raw, text, share, reason, test):
    found = verdict(text, raw=raw, share=share)
    assert found.reason == reason and found.test.startswith(test)


def test_words_in_no_dictionary_are_garbage():
    assert verdict(LOOKALIKES * 2, dictionary=WORDS).reason == OcrReason.UNREADABLE


def test_malformed_words_without_a_dictionary():
    assert verdict(LOOKALIKES).test == "malformed words"


def test_a_latin_page_in_a_cyrillic_deck_is_look_alikes():
    plain = "Hanorosas Aeknapaui nepuoga otyetnbi cymma hanora nnatesa ynpowehhoi " * 2
    pages = [("", RUSSIAN, 0.0), ("", RUSSIAN, 0.0), ("", plain, 0.0)]
    verdicts = assess_pages(pages)
    assert [v.reason for v in verdicts] == [None, None, OcrReason.UNREADABLE]
    assert verdicts[2].test == "another script's look-alikes"
    # The same page where the language says Latin is expected: trusted.
    assert assess_pages(pages, ["en"])[2].reason is None


def test_other_scripts_are_not_judged_by_latin_and_cyrillic_word_lists():
    arabic = "الحكومة الإلكترونية في أذربيجان والخدمات الرقمية للمواطنين " * 4
    assert verdict(arabic, dictionary=WORDS).reason is None


PDFS = CORPUS / "pdfs"


@pytest.mark.skipif(not PDFS.is_dir(), reason="the shared corpus is not here")
def test_the_corpus_verdicts(tmp_path):
    """Every slide is trusted; the scanned Russian form whose OCR layer read Cyrillic as
    Latin is recognised on every page; the scan with a tiny text layer is thin."""

    words = dictionary(
        OcrSettings(Tesseract("tesseract", "eng", 60), 300, 512, 10**8, str(tmp_path))
    )
    for deck in sorted((PDFS / "slides").glob("*.pdf")):
        assert {v for _, v in judge_file(deck, words)} == {"trusted"}, deck.name
    form = judge_file(PDFS / "scanned" / "issue12963.pdf", words)
    assert len(form) == 8 and all(v.startswith("unreadable") for _, v in form)
    assert judge_file(PDFS / "scanned" / "scan-bad.pdf", words) == [
        (1, "thin: few words on an image")
    ]
    assert (
        judge_file(PDFS / "scanned" / "Seige_of_Vicksburg_Sample_OCR.pdf", words)[0][1] == "trusted"
    )
