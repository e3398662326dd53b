"""PDF structure with pypdf: metadata, outline, labels, encryption and typed failures."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from archive.ingest.errors import DamagedFile, PasswordProtected, TooLarge
from archive.ingest.pdf import (
    OutlineEntry,
    clean_metadata_text,
    extract_texts_with_pypdf,
    parse_pdf_date,
    read_pdf_info,
)


def test_structure_is_read(make_pdf):
    path = make_pdf(
        [["Intro"], ["Methods"], ["Results"]],
        metadata={
            "/Title": "Digital  Government\x00",
            "/Author": "A. Author",
            "/CreationDate": "D:20240131120000+01'00'",
        },
        outline=[("Intro", 0), ("Results", 2)],
    )
    info = read_pdf_info(path, "deck.pdf")
    assert info.page_count == 3
    assert info.title == "Digital Government"
    assert info.author == "A. Author"
    assert info.subject is None
    assert info.created == datetime(2024, 1, 31, 12, tzinfo=timezone(timedelta(hours=1)))
    assert info.page_labels == ["1", "2", "3"]
    assert info.outline == [OutlineEntry("Intro", 1, 1), OutlineEntry("Results", 3, 1)]
    assert info.was_encrypted is False


def test_password_protected_pdf_is_rejected(make_pdf):
    path = make_pdf([["Secret"]], user_password="letmein")
    with pytest.raises(PasswordProtected) as caught:
        read_pdf_info(path, "deck.pdf")
    assert str(caught.value) == "deck.pdf: password-protected PDF (it needs a password to open)"


def test_empty_user_password_opens(make_pdf):
    info = read_pdf_info(make_pdf([["Open"], ["Two"]], user_password=""), "deck.pdf")
    assert (info.page_count, info.was_encrypted) == (2, True)


def test_truncated_pdf_is_damaged(make_pdf):
    path = make_pdf([["Hello"]] * 3)
    path.write_bytes(path.read_bytes()[:400])
    with pytest.raises(DamagedFile) as caught:
        read_pdf_info(path, "deck.pdf")
    assert caught.value.code == "damaged"
    assert str(caught.value).startswith("deck.pdf: damaged or malformed PDF (")


def test_too_many_pages(make_pdf):
    with pytest.raises(TooLarge, match=r"too many pages \(3; the limit is 2\)"):
        read_pdf_info(make_pdf([["a"], ["b"], ["c"]]), "deck.pdf", max_pages=2)


def test_pypdf_text_fallback(make_pdf):
    texts = extract_texts_with_pypdf(make_pdf([["first page"], ["second page words"]]), "d.pdf")
    assert "second page words" in texts[1]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"\xfe\xff\x00T\x00i\x00t\x00e\x00l", "Titel"),  # UTF-16BE with BOM, left as bytes
        ("\xfe\xff\x00T\x00i\x00t\x00e\x00l", "Titel"),  # the same read as PDFDocEncoding
        ("\x00T\x00i\x00t\x00e\x00l", "Titel"),  # UTF-16BE without BOM
        ("imagemagick-lzw\x00", "imagemagick-lzw"),
        ("caf\xc3\xa9".encode("latin-1"), "café"),  # UTF-8 bytes
        ("  many\n  spaces\t", "many spaces"),
        ("", None),
        (42, None),
    ],
)
def test_metadata_text_is_cleaned(value, expected):
    assert clean_metadata_text(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("D:20240131120000Z", datetime(2024, 1, 31, 12, tzinfo=UTC)),
        ("D:2024", datetime(2024, 1, 1)),
        ("D:20241340", None),
        ("yesterday", None),
        (None, None),
    ],
)
def test_pdf_dates(text, expected):
    assert parse_pdf_date(text) == expected
