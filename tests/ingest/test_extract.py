"""The two pipelines end to end, through the sandbox, and the second-opinion rule."""

from dataclasses import replace

import pytest
from PIL import Image

from archive.ingest import extract
from archive.ingest.errors import DamagedFile, PasswordProtected, TooLarge
from archive.ingest.extract import (
    ExtractSettings,
    PresentationExtract,
    extract_presentation,
    run_extraction,
)
from archive.ingest.pdf import read_pdf_info
from archive.ingest.photos import PhotoInfo

SETTINGS = ExtractSettings(preview_width=400, thumb_width=100, timeout_s=20, memory_mb=512)
ENGLISH = "The workshop discussed broadband policy and the digital divide in rural areas"


def test_presentation_is_extracted(make_pdf, out_dir):
    path = make_pdf(
        [["Welcome"], [ENGLISH, "second line of the slide"], []],
        metadata={"/Title": "Broadband workshop"},
    )
    result = run_extraction("presentation", path, "deck.pdf", out_dir, SETTINGS)
    assert isinstance(result, PresentationExtract)
    assert result.info.page_count == 3
    assert result.info.title == "Broadband workshop"
    assert [page.number for page in result.pages] == [1, 2, 3]
    assert [page.label for page in result.pages] == ["1", "2", "3"]
    assert "broadband policy" in result.pages[1].text
    assert result.pages[1].language == "en"
    assert result.pages[2].text == "" and result.pages[2].language is None
    assert result.has_text is True
    for page in result.pages:
        with Image.open(out_dir / page.thumbnail) as thumb:
            assert thumb.width == 100
        with Image.open(out_dir / page.preview) as preview:
            assert preview.width == 400


def test_text_only_settings_write_no_page_images(make_pdf, out_dir):
    path = make_pdf([["Welcome"], [ENGLISH]])
    text_only = replace(SETTINGS, page_images=False)
    result = run_extraction("presentation", path, "deck.pdf", out_dir, text_only)
    assert "broadband policy" in result.pages[1].text
    assert all(page.preview is None and page.thumbnail is None for page in result.pages)
    assert not list(out_dir.iterdir())


def test_scanned_pdf_without_text_is_fine(make_pdf, out_dir):
    result = run_extraction("presentation", make_pdf([[], []]), "scan.pdf", out_dir, SETTINGS)
    assert result.has_text is False
    assert [page.text for page in result.pages] == ["", ""]
    assert all((out_dir / page.preview).exists() for page in result.pages)


def test_photo_is_extracted(make_jpeg, out_dir):
    result = run_extraction("photo", make_jpeg(orientation=6), "photo.jpg", out_dir, SETTINGS)
    assert isinstance(result, PhotoInfo)
    assert (result.width, result.height) == (100, 200)
    assert (out_dir / result.grid).exists() and (out_dir / result.lightbox).exists()


def test_password_error_crosses_the_sandbox(make_pdf, out_dir):
    path = make_pdf([["Secret"]], user_password="letmein")
    with pytest.raises(PasswordProtected, match="deck.pdf: password-protected PDF"):
        run_extraction("presentation", path, "deck.pdf", out_dir, SETTINGS)


def test_empty_password_pdf_is_processed(make_pdf, out_dir):
    path = make_pdf([[ENGLISH]], user_password="")
    result = run_extraction("presentation", path, "deck.pdf", out_dir, SETTINGS)
    assert result.info.was_encrypted is True
    assert "broadband" in result.pages[0].text


def test_truncated_pdf_is_damaged(make_pdf, out_dir):
    path = make_pdf([[ENGLISH]] * 4)
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(DamagedFile, match="deck.pdf: damaged or malformed PDF"):
        run_extraction("presentation", path, "deck.pdf", out_dir, SETTINGS)


def test_too_many_pages(make_pdf, out_dir):
    settings = replace(SETTINGS, max_pages=2)
    with pytest.raises(TooLarge, match="too many pages"):
        run_extraction("presentation", make_pdf([["a"]] * 3), "deck.pdf", out_dir, settings)


def test_unknown_kind_is_a_programming_error(make_pdf, out_dir):
    with pytest.raises(ValueError, match="unknown kind"):
        run_extraction("video", make_pdf([["a"]]), "deck.pdf", out_dir, SETTINGS)


def test_pdfium_reads_what_pypdf_cannot(make_pdf, out_dir):
    path = make_pdf([["first"], [ENGLISH]])
    path.write_bytes(path.read_bytes().replace(b"startxref", b"startxrex"))
    with pytest.raises(DamagedFile):
        read_pdf_info(path, "deck.pdf")
    result = extract_presentation(path, "deck.pdf", out_dir, SETTINGS)
    assert result.info.page_count == 2
    assert "broadband" in result.pages[1].text
    assert result.pages[1].preview is not None


def test_pypdf_reads_what_pdfium_cannot(make_pdf, out_dir, monkeypatch):
    def refuse(path, filename):
        raise DamagedFile(filename, "damaged or malformed PDF (pdfium: test)")

    monkeypatch.setattr(extract, "open_pdf", refuse)
    result = extract_presentation(make_pdf([["first"], [ENGLISH]]), "deck.pdf", out_dir, SETTINGS)
    assert result.info.page_count == 2
    assert "broadband" in result.pages[1].text
    assert result.pages[1].preview is None


def test_password_wins_when_both_libraries_fail(make_pdf, out_dir):
    path = make_pdf([["Secret"]], user_password="letmein")
    with pytest.raises(PasswordProtected):
        extract_presentation(path, "deck.pdf", out_dir, SETTINGS)


def test_pypdf_page_count_is_authoritative(make_pdf, out_dir, monkeypatch):
    path = make_pdf([["first"], ["second"]])
    info = read_pdf_info(path, "deck.pdf")
    monkeypatch.setattr(
        extract, "read_pdf_info", lambda *args: replace(info, page_count=3, page_labels=[])
    )
    result = extract_presentation(path, "deck.pdf", out_dir, SETTINGS)
    assert [page.number for page in result.pages] == [1, 2, 3]
    assert result.pages[2].text == "" and result.pages[2].preview is None
    assert result.pages[2].label == "3"
