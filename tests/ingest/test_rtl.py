"""Arabic slides: logical order and word spaces from pdfium's characters (issue 12).

The PDF is generated here the way a Beamer deck sets Arabic: each line's glyphs painted left
to right as the page shows them, the words apart by a move of the pen narrower than pdfium's
own word-gap guess (so pdfium joins them: `بعضالملاحظات`), no space glyphs.
"""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
)

from archive.fulltext import SearchRequest
from archive.fulltext.whoosh import SearchIndex
from archive.ingest.bidi import PlacedChar, logical_line, visual_to_logical
from archive.ingest.extract import ExtractSettings, extract_presentation
from archive.ingest.render import page_text
from tests.fulltext.fulltext_helpers import STAFF, make_item, pages

LINES = ["بعض الملاحظات", "الحكومة الرقمية في أذربيجان 2023"]
HELVETICA_CAPS = [667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833]
HELVETICA_CAPS += [722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611]
SIZE = 24
GAP = 3  # points between words: 1/8 em, below pdfium's own guess of a space


def arabic_pdf(path, lines=LINES):
    """One page; every character has its own code (A, B, ...) mapped to Arabic by a ToUnicode
    CMap, and is painted at its own position, right-to-left words laid out visually."""
    letters = sorted({c for line in lines for c in line if not c.isspace()})
    codes = {c: 0x41 + i for i, c in enumerate(letters)}
    widths = {c: HELVETICA_CAPS[i] * SIZE / 1000 for i, c in enumerate(letters)}
    writer = PdfWriter()
    page = writer.add_blank_page(width=720, height=540)
    cmap = DecodedStreamObject()
    cmap.set_data(to_unicode_cmap(codes).encode())
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
            NameObject("/FirstChar"): NumberObject(0x41),
            NameObject("/LastChar"): NumberObject(0x41 + len(letters) - 1),
            NameObject("/Widths"): ArrayObject(
                NumberObject(w) for w in HELVETICA_CAPS[: len(letters)]
            ),
            NameObject("/ToUnicode"): writer._add_object(cmap),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    ops, y = [], 480
    for line in lines:
        x = 680.0
        placed = []
        for word in line.split():  # the first word is the rightmost
            ltr = word.isascii()
            width = sum(widths[c] for c in word)
            x -= width
            placed.append((x, word if ltr else word[::-1]))  # glyphs as painted, left to right
            x -= GAP
        for left, glyphs in sorted(placed):
            for char in glyphs:
                ops.append(f"BT /F1 {SIZE} Tf 1 0 0 1 {left:.2f} {y} Tm <{codes[char]:02X}> Tj ET")
                left += widths[char]
        y -= 40
    content = DecodedStreamObject()
    content.set_data("\n".join(ops).encode())
    page[NameObject("/Contents")] = writer._add_object(content)
    with open(path, "wb") as fh:
        writer.write(fh)
    return path


def to_unicode_cmap(codes: dict[str, int]) -> str:
    entries = "\n".join(f"<{code:02X}> <{ord(c):04X}>" for c, code in codes.items())
    return (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        "/CMapName /Arabic def /CMapType 2 def\n1 begincodespacerange <00> <FF> "
        f"endcodespacerange\n{len(codes)} beginbfchar\n{entries}\nendbfchar\n"
        "endcmap CMapName currentdict /CMap defineresource pop end end"
    )


@pytest.fixture
def deck(tmp_path):
    return arabic_pdf(tmp_path / "arabic.pdf")


def placed_chars(path) -> list[list[PlacedChar]]:
    """Each line's characters as pdfium reports them, with their boxes."""
    textpage = pdfium.PdfDocument(str(path))[0].get_textpage()
    lines, line = [], []
    for index in range(textpage.count_chars()):
        char = textpage.get_text_range(index, 1)
        if char in ("\r", "\n"):
            if char == "\n":
                lines.append(line)
                line = []
            continue
        left, _, right, _ = textpage.get_charbox(index, loose=True)
        line.append(PlacedChar(char, left, right, SIZE))
    return [*lines, line]


def test_pdfium_alone_loses_the_word_boundaries(deck):
    raw = pdfium.PdfDocument(str(deck))[0].get_textpage().get_text_range()
    assert "بعضالملاحظات" in raw  # what the archive indexed before: one unsearchable word


def test_word_spaces_come_back_from_the_character_boxes(deck):
    text = page_text(pdfium.PdfDocument(str(deck))[0])
    assert text.splitlines() == LINES


def test_a_line_in_visual_order_is_read_back_in_logical_order(deck):
    for line, expected in zip(placed_chars(deck), LINES, strict=True):
        painted = sorted(line, key=lambda c: c.left)  # left to right, as an extractor may give
        assert logical_line(painted) == expected


@pytest.mark.parametrize(
    ("visual", "logical"),
    [
        ("تاظحالملا ضعب", "بعض الملاحظات"),
        ("ةيمقرلا 2023 ةموكحلا", "الحكومة 2023 الرقمية"),
        ("وكاب يف e-Government رمتؤم", "مؤتمر e-Government في باكو"),
        ("(ابحرم)", "(مرحبا)"),
        ("plain Latin text", "plain Latin text"),
    ],
)
def test_visual_to_logical(visual, logical):
    assert visual_to_logical(visual) == logical


def test_an_arabic_query_finds_the_slide_and_its_snippet_reads_right(deck, tmp_path):
    (tmp_path / "out").mkdir()
    extract = extract_presentation(deck, "arabic.pdf", tmp_path / "out", ExtractSettings())
    assert extract.pages[0].text.splitlines() == LINES
    index = SearchIndex(tmp_path / "index")
    texts = [p.text for p in extract.pages]
    index.index_item(make_item(1, title="عرض"), pages(*texts, language="ar"))
    for query in ("الملاحظات", '"الحكومة الرقمية"', "أذربيجان"):
        page = index.search(SearchRequest(query, STAFF))
        assert [g.item_id for g in page.groups] == [1], query
    snippet = index.search(SearchRequest("الملاحظات", STAFF)).groups[0].best.snippet
    assert "بعض <mark>الملاحظات</mark>" in snippet
