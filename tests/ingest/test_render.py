"""pdfium pages: text per page, one render per page giving preview and thumbnail."""

import pytest
from PIL import Image

from archive.ingest.errors import DamagedFile, PasswordProtected, TooLarge
from archive.ingest.render import (
    check_pdfium_page_count,
    open_pdf,
    read_pdf_info_with_pdfium,
    render_pages,
)


def render_all(path, out_dir, preview_width=600, thumb_width=120):
    with open_pdf(path, path.name) as doc:
        return list(render_pages(doc, out_dir, len(doc), preview_width, thumb_width))


def test_text_and_images_per_page(make_pdf, out_dir):
    path = make_pdf([["Opening remarks"], ["Broadband policy in Kazakhstan", "second line"]])
    pages = render_all(path, out_dir)
    assert [page.number for page in pages] == [1, 2]
    assert "Broadband policy in Kazakhstan" in pages[1].text
    assert "second line" in pages[1].text
    assert "Broadband" not in pages[0].text
    assert pages[1].preview == "page-0002-preview.jpg"
    assert pages[1].thumbnail == "page-0002-thumb.webp"
    with Image.open(out_dir / pages[1].preview) as preview:
        assert (preview.format, preview.width) == ("JPEG", 600)
        assert preview.height == 450  # 720x540 pt page
    with Image.open(out_dir / pages[1].thumbnail) as thumb:
        assert (thumb.format, thumb.size) == ("WEBP", (120, 90))


def test_page_without_text_layer_renders_with_empty_text(make_pdf, out_dir):
    pages = render_all(make_pdf([[]]), out_dir)
    assert pages[0].text == ""
    assert (out_dir / pages[0].preview).exists()


def test_password_protected(make_pdf):
    path = make_pdf([["Secret"]], user_password="letmein")
    with pytest.raises(PasswordProtected, match="deck.pdf: password-protected PDF"):
        open_pdf(path, "deck.pdf")


def test_empty_password_opens(make_pdf, out_dir):
    pages = render_all(make_pdf([["Readable anyway"]], user_password=""), out_dir)
    assert "Readable anyway" in pages[0].text


def test_garbage_is_damaged(tmp_path):
    path = tmp_path / "deck.pdf"
    path.write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 50)
    with pytest.raises(DamagedFile, match="deck.pdf: damaged or malformed PDF"):
        open_pdf(path, "deck.pdf")


def test_page_count_cap(make_pdf):
    with open_pdf(make_pdf([["a"], ["b"], ["c"]]), "deck.pdf") as doc:
        with pytest.raises(TooLarge, match="too many pages"):
            check_pdfium_page_count(doc, "deck.pdf", max_pages=2)
        assert check_pdfium_page_count(doc, "deck.pdf", max_pages=3) == 3


def test_structure_second_opinion(make_pdf):
    path = make_pdf([["a"], ["b"]], metadata={"/Title": "Fallback title"}, outline=[("Second", 1)])
    with open_pdf(path, "deck.pdf") as doc:
        info = read_pdf_info_with_pdfium(doc, 2)
    assert info.title == "Fallback title"
    assert info.page_labels == ["1", "2"]
    assert [(entry.title, entry.page_number) for entry in info.outline] == [("Second", 2)]


def test_a_growing_document_is_reopened_and_nothing_changes(make_pdf, out_dir, monkeypatch):
    """pdfium keeps every loaded page's objects until the document closes: past a growth
    budget the document is reopened, and the pages come out the same."""
    path = make_pdf([[f"Slide {n} on broadband"] for n in range(1, 7)])
    expected = render_all(path, out_dir)
    resident = iter(range(0, 10_000, 20))  # every look grows the process by 20 MB
    monkeypatch.setattr("archive.ingest.render.resident_mb", lambda: next(resident))
    opened = []

    def reopen():
        opened.append(open_pdf(path, path.name))
        return opened[-1]

    with open_pdf(path, path.name) as doc:
        pages = list(render_pages(doc, out_dir, len(doc), 600, 120, reopen))
    assert pages == expected
    assert len(opened) >= 2  # 20 MB a page against a 32 MB budget
    assert all(doc.raw is None for doc in opened)  # every handle it opened is closed
