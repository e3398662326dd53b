"""The whole shared corpus through `flask import` into a test archive: store, sniff, extract,
save, render, index. Every file ends ready (with the manifest's page count, text, page images)
or failed/rejected for a specific reason listed by the command, and a second run adds nothing.

`tests/ingest/test_corpus.py` covers the extraction layer alone; this covers the pipeline with
the database. Skipped when the corpus is absent (set ARCHIVE_CORPUS_DIR to use another copy).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from archive.extensions import db
from archive.ingest.errors import IngestError
from archive.ingest.render import open_pdf
from archive.models import Item, Page, Photo, Presentation
from archive.services import current_index, current_storage
from tests.conftest import make_app
from tests.support.corpus import CORPUS, MUST_BE_READY, MUST_HAVE_TEXT, SPECIFIC_CODES, manifest

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.slow,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}"),
]

KNOWN_BAD = {"photos/camera/ultrahdr.jpg"}  # really truncated after its SOS marker
SUMMARY = re.compile(
    r"Imported (\d+) file\(s\) \((\d+) pages\), (\d+) duplicate\(s\), (\d+) failed"
)


def corpus_files() -> dict[str, str]:
    """sha256 of every file the import will see, by relative path (hidden files skipped)."""
    return {
        path.relative_to(CORPUS).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(CORPUS.rglob("*"))
        if path.is_file() and not any(p.startswith(".") for p in path.relative_to(CORPUS).parts)
    }


def listed(output: str, kind: str) -> dict[str, str]:
    """The command's "  failed: NAME: reason" (or duplicate) lines, by file name."""
    found = {}
    for line in output.splitlines():
        if line.startswith(f"  {kind}: "):
            rest = line[len(f"  {kind}: ") :]
            name, _, reason = rest.partition(": " if kind == "failed" else " is already")
            found[name] = reason
    return found


@pytest.fixture
def corpus_app(tmp_path):
    # Long enough for the 352-page book on a busy machine; the pathological files in
    # broken/ hit it and fail as "timeout", which is a specific reason.
    app = make_app(tmp_path, EXTRACT_TIMEOUT_S=60)
    with app.app_context():
        yield app
        db.session.remove()


def test_corpus_imports_each_file_once_ready_or_failed_for_a_reason(corpus_app):
    runner = corpus_app.test_cli_runner()
    assert runner.invoke(args=["events", "create", "corpus", "--title", "Corpus"]).exit_code == 0
    files = corpus_files()
    command = ["import", str(CORPUS), "--event", "corpus", "--jobs", "2"]

    first = runner.invoke(args=command)
    print(first.output)
    assert first.exit_code == 1, "the import must exit non-zero when files failed"
    failed = listed(first.output, "failed")
    duplicates = listed(first.output, "duplicate")
    problems = check_every_file(files, failed, duplicates, manifest())
    assert not problems, "\n".join(problems)
    check_index_matches_pages()
    items_before = db.session.scalar(select(func.count()).select_from(Item))

    second = runner.invoke(args=command)
    print(second.output)
    imported, _, dup_count, fail_count = map(int, SUMMARY.search(second.output).groups())
    rejected_at_intake = {name for name, sha in files.items() if find(sha) is None}
    assert imported == 0
    assert dup_count == len(files) - len(rejected_at_intake)
    assert set(listed(second.output, "failed")) == rejected_at_intake
    assert fail_count == len(rejected_at_intake)
    assert db.session.scalar(select(func.count()).select_from(Item)) == items_before


def find(sha: str) -> Item | None:
    return db.session.scalar(select(Item).where(Item.sha256 == sha))


def check_every_file(files, failed, duplicates, rows) -> list[str]:
    problems = []
    first_with = {}
    for name, sha in files.items():
        item = find(sha)
        if name in duplicates:
            if item is None or sha not in first_with:
                problems.append(f"{name}: reported duplicate of nothing imported before")
            continue
        first_with[sha] = name
        if item is None:
            problems += check_rejected_at_intake(name, failed)
        elif item.status == "ready":
            problems += check_ready(name, item, rows.get(name))
        else:
            problems += check_failed(name, item, failed)
    return problems


def check_rejected_at_intake(name: str, failed: dict[str, str]) -> list[str]:
    folder = str(Path(name).parent)
    if name not in failed:
        return [f"{name}: no item and not listed as failed"]
    if folder in MUST_BE_READY and name not in KNOWN_BAD:
        return [f"{name}: rejected at intake: {failed[name]}"]
    return []


def check_failed(name: str, item: Item, failed: dict[str, str]) -> list[str]:
    problems = []
    folder = str(Path(name).parent)
    if item.status != "failed":
        problems.append(f"{name}: left {item.status}")
    if item.error_code not in SPECIFIC_CODES:
        problems.append(f"{name}: failed with code {item.error_code!r}: {item.error}")
    if not item.error or Path(name).name not in item.error:
        problems.append(f"{name}: error does not name the file: {item.error!r}")
    if name not in failed:
        problems.append(f"{name}: failed but not listed by the command")
    if folder in MUST_BE_READY and name not in KNOWN_BAD:
        problems.append(f"{name}: failed: {item.error}")
    if current_storage().derived_file(item.id, "grid.webp") or list_derived(item.id):
        problems.append(f"{name}: failed but derived files remain")
    return problems


def check_ready(name: str, item: Item, row: dict | None) -> list[str]:
    if item.indexed_at is None:
        return [f"{name}: ready but not indexed"]
    if isinstance(item, Photo):
        missing = {"grid.webp", "lightbox.jpg"} - set(list_derived(item.id))
        return [f"{name}: missing {sorted(missing)}"] if missing else []
    return check_ready_presentation(name, item, row)


def check_ready_presentation(name: str, item: Presentation, row: dict | None) -> list[str]:
    problems = []
    pages = (row or {}).get("pages", "")
    if pages.isdigit() and item.page_count != int(pages):
        problems.append(f"{name}: {item.page_count} pages, the manifest says {pages}")
    rows = db.session.scalar(select(func.count()).where(Page.item_id == item.id))
    if rows != item.page_count:
        problems.append(f"{name}: {rows} page rows for {item.page_count} pages")
    if str(Path(name).parent) in MUST_HAVE_TEXT and not any(p.text for p in item.pages):
        problems.append(f"{name}: no text")
    derived = set(list_derived(item.id))
    for number in renderable_pages(CORPUS / name, item.page_count):
        for image in (f"page-{number:04d}-thumb.webp", f"page-{number:04d}-preview.jpg"):
            if image not in derived:
                problems.append(f"{name}: missing {image}")
    return problems


def renderable_pages(path: Path, page_count: int) -> list[int]:
    """Pages pdfium loads with a positive size (the ones the pipeline renders); none when
    pdfium cannot open the file (the pipeline then takes pypdf's text, without images)."""
    try:
        doc = open_pdf(path, path.name)
    except IngestError:
        return []
    with doc:
        sizes = [page_size(doc, index) for index in range(min(len(doc), page_count))]
    return [n for n, (w, h) in enumerate(sizes, start=1) if w > 0 and h > 0]


def page_size(doc, index: int) -> tuple[float, float]:
    try:
        page = doc[index]
    except Exception:  # noqa: BLE001 - pdfium cannot load it: no image expected
        return (0, 0)
    try:
        return (page.get_width(), page.get_height())
    finally:
        page.close()


def list_derived(item_id: int) -> list[str]:
    folder = current_storage().derived / str(item_id)
    return [p.name for p in folder.iterdir()] if folder.is_dir() else []


def check_index_matches_pages() -> None:
    """One index document per page of every ready deck, one per ready photo, nothing else."""
    ready = db.session.scalars(select(Item).where(Item.status == "ready")).all()
    expected = sum(i.page_count if isinstance(i, Presentation) else 1 for i in ready)
    index = current_index()
    assert index.item_ids() == {i.id for i in ready}
    assert index.doc_count() == expected
