"""Text recognition end to end: scanned decks and photos of slides made in code from real
text PDFs, through the pipeline, the queue, the index, the viewer and `flask ocr`."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from archive import ingest, pipeline, tasks
from archive.extensions import db
from archive.fulltext import AccessScope, SearchRequest
from archive.ingest import ocrstate
from archive.models import Item, ItemState, OcrReason, OcrState
from archive.pipeline import process_item, recognise_item
from archive.services import current_index, current_storage
from tests.conftest import make_app
from tests.support import scans

EVERYTHING = AccessScope(include_staff_only=True)
WORKER = "test-host:1"


@pytest.fixture
def app(tmp_path):
    """The app with text recognition on, as in production."""
    app = make_app(tmp_path, OCR="auto")
    with app.app_context():
        yield app
        db.session.remove()


def search(text: str):
    return current_index().search(SearchRequest(text, scope=EVERYTHING))


def accept(path: Path, event, **fields) -> Item:
    """Store a file and leave its item queued, as an upload does."""
    with path.open("rb") as stream:
        outcome = ingest.accept_file(
            current_storage(), stream, path.name, event, None, ingest.ItemFields(**fields)
        )
    db.session.commit()
    return outcome.item


def ingest_without_ocr(path: Path, event, **fields) -> Item:
    """Extract and index an item; its recognition stays pending."""
    item = accept(path, event, **fields)
    assert process_item(item.id, WORKER) == ItemState.READY
    db.session.refresh(item)
    return item


def fake_tesseract(tmp_path: Path, body: str) -> str:
    """A program standing in for Tesseract that runs `body` (sh) for images, and lists the
    real languages when asked (so that the languages are found)."""
    script = tmp_path / "fake-tesseract"
    script.write_text(
        f'#!/bin/sh\nif [ "$1" = "--list-langs" ]; then exec tesseract --list-langs; fi\n{body}\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


@pytest.mark.parametrize(
    ("source", "phrase", "page"),
    [
        (scans.ENGLISH_DECK, "digital divide persists", 3),
        (scans.RUSSIAN_DECK, "широкополосной связи", 2),
    ],
)
def test_a_scanned_deck_is_ready_at_once_and_found_on_the_right_page_after_ocr(
    app, make_event, tmp_path, source, phrase, page
):
    event = make_event()
    deck = ingest_without_ocr(scans.scan_pdf(source, tmp_path / "scan.pdf"), event)
    assert deck.has_text is False and deck.ocr_state == OcrState.PENDING
    assert search(f'"{phrase}"').total_hits == 0  # ready and searchable by title only

    assert recognise_item(deck.id, WORKER) == OcrState.DONE
    db.session.refresh(deck)
    assert deck.indexed_at is None  # the index is told that the text changed
    pipeline.index_pending(wait=True)

    result = search(f'"{phrase}"')
    assert [(g.item_id, g.best.page) for g in result.groups] == [(deck.id, page)]
    assert "<mark>" in result.groups[0].best.snippet and result.groups[0].best.recognised
    assert deck.ocr_pages_done == deck.ocr_pages_total == len(deck.pages)
    assert all(p.ocr_reason == OcrReason.EMPTY and p.ocr_confidence > 80 for p in deck.pages)


def test_pages_with_a_good_text_layer_are_never_recognised(app, make_event, make_pdf, tmp_path):
    event = make_event()
    text_pdf = make_pdf([["The registry of digital identity", "is open to every citizen now"]])
    scan = scans.scan_pdf(scans.ENGLISH_DECK, tmp_path / "scan.pdf")
    deck = ingest_without_ocr(scans.mixed_pdf(text_pdf, scan, tmp_path / "mixed.pdf"), event)

    recognise_item(deck.id, WORKER)
    db.session.refresh(deck)
    first, *scanned = deck.pages
    assert first.ocr_reason is None and first.ocr_text is None
    assert len(scanned) == 5 and {p.ocr_reason for p in scanned} == {OcrReason.EMPTY}
    assert deck.ocr_pages_total == 5 and all(p.ocr_text for p in scanned)


def test_a_deck_with_text_on_every_page_is_skipped(app, make_event, make_pdf):
    deck = ingest_without_ocr(
        make_pdf([["Open data portal strategy for the region"]]), make_event()
    )
    assert recognise_item(deck.id, WORKER) == OcrState.SKIPPED
    db.session.refresh(deck)
    assert deck.ocr_pages_total == 0 and deck.pages[0].ocr_text is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [("exec sleep 30", "longer than 1 s"), ("kill -SEGV $$", "crashed (SIGSEGV)")],
)
def test_an_ocr_timeout_or_crash_leaves_the_item_ready(app, make_event, tmp_path, body, reason):
    app.config.update(OCR_TESSERACT=fake_tesseract(tmp_path, body), OCR_PAGE_TIMEOUT_S=1)
    deck = ingest_without_ocr(scans.scan_pdf(scans.ENGLISH_DECK, tmp_path / "s.pdf"), make_event())

    assert recognise_item(deck.id, WORKER) == OcrState.FAILED
    db.session.refresh(deck)
    assert deck.status == ItemState.READY and deck.error is None
    assert "page 1:" in deck.ocr_error and reason in deck.ocr_error
    assert deck.ocr_pages_done == 5  # every page was tried, none stopped the others
    assert deck.claimed_by is None
    pipeline.index_pending(wait=True)
    assert deck.id in current_index().item_ids()  # still in search


def test_missing_tesseract_fails_recognition_with_a_clear_reason(app, make_event, tmp_path):
    app.config.update(OCR_TESSERACT=str(tmp_path / "no-such-tesseract"))
    deck = ingest_without_ocr(scans.scan_pdf(scans.ENGLISH_DECK, tmp_path / "s.pdf"), make_event())
    assert recognise_item(deck.id, WORKER) == OcrState.FAILED
    db.session.refresh(deck)
    assert deck.status == ItemState.READY and "not installed" in deck.ocr_error


def test_the_queue_runs_recognition_after_extraction_and_updates_the_index(
    app, make_event, tmp_path
):
    """Through the tasks (an immediate queue): upload, extraction, index, recognition in
    slices, index again."""
    item = accept(scans.scan_pdf(scans.RUSSIAN_DECK, tmp_path / "ru.pdf"), make_event())
    tasks.enqueue_processing(item.id)
    db.session.refresh(item)
    assert item.ocr_state == OcrState.DONE and item.indexed_at is not None
    hits = search("Цифровой разрыв")
    assert hits.groups and hits.groups[0].best.page == 2


def test_a_photo_of_a_slide_is_found_by_the_slides_words(app, make_event, tmp_path):
    event = make_event()
    photo = ingest_without_ocr(scans.slide_photo(scans.ENGLISH_DECK, 3, tmp_path / "p.jpg"), event)
    assert recognise_item(photo.id, WORKER) == OcrState.DONE
    pipeline.index_pending(wait=True)
    result = search('"digital divide persists"')
    assert [p.item_id for p in result.photos] == [photo.id]
    assert "<mark>digital</mark>" in result.photos[0].snippet and result.photos[0].recognised


def test_a_crowd_photo_costs_one_small_pass(app, make_event, tmp_path):
    log = tmp_path / "calls.log"
    program = fake_tesseract(tmp_path, f'echo "$@" >> {log}\nexec tesseract "$@"')
    app.config.update(OCR_TESSERACT=program)
    photo = ingest_without_ocr(scans.crowd_photo(tmp_path / "crowd.jpg"), make_event())
    assert recognise_item(photo.id, WORKER) == OcrState.SKIPPED
    db.session.refresh(photo)
    assert photo.ocr_text is None and photo.status == ItemState.READY
    assert len(log.read_text().splitlines()) == 1  # the screening pass, no full pass


def test_an_unreadable_text_layer_leaves_the_index_and_is_replaced(app, make_event, tmp_path):
    """A page whose text layer is look-alike garbage: the garbage is not searchable once the
    page is planned, and the recognised text is."""
    deck = ingest_without_ocr(scans.scan_pdf(scans.ENGLISH_DECK, tmp_path / "s.pdf"), make_event())
    garbage = "Hanorosas AeKnapai...IVIs:t KoppeKn1pOBKH H8norosbiH nepHOA 0T48THbiH rO,[I " * 3
    deck.pages[1].text = garbage
    deck.indexed_at = None
    db.session.commit()
    pipeline.index_pending(wait=True)
    assert search("Hanorosas").total_hits == 1

    recognise_item(deck.id, WORKER)
    pipeline.index_pending(wait=True)
    db.session.refresh(deck)
    assert deck.pages[1].ocr_reason == OcrReason.UNREADABLE
    assert search("Hanorosas").total_hits == 0
    assert search('"EGDI"').groups[0].best.page == 2


def test_the_viewer_shows_recognised_text_and_staff_see_progress(
    app, make_event, tmp_path, client, login_as
):
    deck = ingest_without_ocr(scans.scan_pdf(scans.ENGLISH_DECK, tmp_path / "s.pdf"), make_event())
    login_as("staff")
    page = client.get(f"/presentations/{deck.id}?page=2").get_data(as_text=True)
    assert "text recognition queued" in page and "under way" in page

    recognise_item(deck.id, WORKER, budget_s=0)  # one page, then out of time
    page = client.get("/events/baku-2023").get_data(as_text=True)
    assert "recognising text: 1 of 5 pages" in page

    recognise_item(deck.id, WORKER)
    page = client.get(f"/presentations/{deck.id}?page=2&hl=trends").get_data(as_text=True)
    assert "Text recognised automatically" in page and "<mark>trends</mark>" in page
    assert "recognising text" not in page


def test_flask_ocr_recognises_existing_items(app, make_event, tmp_path):
    app.config.update(OCR="off")  # uploaded while recognition was off
    event = make_event()
    deck = ingest_without_ocr(scans.scan_pdf(scans.ENGLISH_DECK, tmp_path / "s.pdf"), event)
    assert deck.ocr_state is None
    runner = app.test_cli_runner()

    result = runner.invoke(args=["ocr", "--event", event.slug, "--missing"])
    assert result.exit_code == 0, result.output
    assert "Recognised text in 1 item(s): 1 done" in result.output
    assert search('"digital divide persists"').total_groups == 1
    again = runner.invoke(args=["ocr", "--missing"])
    assert "Recognised text in 0 item(s)" in again.output


def test_flask_ocr_exits_non_zero_when_recognition_fails(app, make_event, tmp_path):
    deck = ingest_without_ocr(scans.scan_pdf(scans.ENGLISH_DECK, tmp_path / "s.pdf"), make_event())
    app.config.update(OCR_TESSERACT=str(tmp_path / "missing"))
    result = app.test_cli_runner().invoke(args=["ocr", str(deck.id)])
    assert result.exit_code == 1 and f"item {deck.id}:" in result.output


def test_a_dead_workers_recognition_is_resumed(app, make_event, tmp_path):
    deck = ingest_without_ocr(scans.scan_pdf(scans.ENGLISH_DECK, tmp_path / "s.pdf"), make_event())
    host = os.uname().nodename
    recognise_item(deck.id, f"{host}:1", budget_s=0)  # one page done, rest pending
    assert ocrstate.claim(deck.id, f"{host}:999999999")  # a worker that died
    found = pipeline.recover(host, at_start=False)
    assert deck.id in found.to_recognise
    assert recognise_item(deck.id, WORKER) == OcrState.DONE
    db.session.refresh(deck)
    assert deck.ocr_pages_done == 5


def test_an_azerbaijani_event_reads_its_scans_in_azerbaijani(app, make_event, tmp_path):
    event = make_event(language="az")
    deck = ingest_without_ocr(scans.scan_pdf(scans.AZERBAIJANI_DECK, tmp_path / "az.pdf"), event)
    recognise_item(deck.id, WORKER)
    pipeline.index_pending(wait=True)
    db.session.refresh(deck)
    assert deck.ocr_languages == "aze+eng+rus"
    result = search('"ASAN xidmət mərkəzləri"')
    assert [(g.item_id, g.best.page) for g in result.groups] == [(deck.id, 2)]


def test_recognition_waits_behind_uploads_in_the_queue(tmp_path):
    app = make_app(tmp_path, OCR="auto", QUEUE_IMMEDIATE=False)
    with app.app_context():
        tasks.task("recognise_item")(1)
        tasks.task("process_item")(2)
        huey = tasks.queue()
        first, second = huey.dequeue(), huey.dequeue()
        assert (first.name, second.name) == ("process_item", "recognise_item")
        assert second.priority == tasks.OCR_PRIORITY < 0


def test_a_misspelt_ocr_setting_stops_start_up(tmp_path):
    with pytest.raises(SystemExit, match="ARCHIVE_OCR='on'"):
        make_app(tmp_path, OCR="on")
