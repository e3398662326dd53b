"""Tesseract through its command line: TSV parsing, languages, a real image read back."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw, ImageFont

from archive.ingest.ocr import (
    OcrFailed,
    Tesseract,
    choose_languages,
    installed,
    parse_tsv,
    recognise_image,
)

HEADER = (
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
)
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def row(block, line, conf, text, level=5):
    return f"{level}\t1\t{block}\t1\t{line}\t1\t0\t0\t10\t10\t{conf}\t{text}"


def test_tsv_becomes_lines_and_blocks_with_unsure_words_apart():
    tsv = "\n".join(
        [
            HEADER,
            row(1, 1, -1, "", level=4),
            row(1, 1, 96.5, "Digital"),
            row(1, 1, 91, "divide"),
            row(1, 2, 55, "persists"),
            row(2, 1, 95, "Baku"),
            row(2, 1, 12, "~~"),  # a speck: dropped
            row(2, 1, 80, "—"),  # no letter or digit: dropped
            row(2, 1, 40, "divide"),  # unsure here, sure above: not unsure
        ]
    )
    result = parse_tsv(tsv)
    assert result.text == "Digital divide\npersists\n\nBaku divide"
    assert result.unsure == ("persists",)
    assert result.words == 5 and result.confidence == pytest.approx(75.5)


def test_empty_output_is_no_text():
    assert parse_tsv(HEADER + "\n").text == "" and parse_tsv("").confidence is None


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        (["ru"], "rus+eng"),
        (["az"], "aze+eng+rus"),
        (["en"], "eng"),
        ([None], "eng+rus"),
        ([], "eng+rus"),
        (["xx"], "eng+rus"),  # unknown to Tesseract: the default
    ],
)
def test_languages_come_from_the_item_or_event_else_the_default(codes, expected):
    assert choose_languages(codes, "eng+rus", "tesseract") == expected


def test_no_tesseract_is_a_clear_error(tmp_path):
    with pytest.raises(OcrFailed, match="not installed"):
        choose_languages(["en"], "eng", str(tmp_path / "none"))
    assert installed(str(tmp_path / "none")) == ("", frozenset())


def test_installed_languages_include_the_archives():
    folder, languages = installed("tesseract")
    assert {"eng", "rus", "aze"} <= languages and folder


def test_a_drawn_line_of_russian_and_english_is_read_back(tmp_path):
    image = Image.new("L", (1400, 200), 255)
    font = ImageFont.truetype(FONT, 48)
    ImageDraw.Draw(image).text((40, 60), "Цифровой разрыв and open data", font=font, fill=0)
    path = tmp_path / "line.png"
    image.save(path)
    result = recognise_image(path, Tesseract("tesseract", "eng+rus", 30), "line.png")
    assert result.text == "Цифровой разрыв and open data"
    assert result.confidence > 80 and result.unsure == ()
