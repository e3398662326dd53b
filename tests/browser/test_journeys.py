"""End-to-end journeys in Chromium against a live server (issue 5, "Done when").

Each test signs in in a fresh browser context and saves screenshots of the pages it passes
into docs/screenshots/ (1280x800). The `new_page` fixture fails a test whose pages reported
a Content-Security-Policy violation or a script error on the console.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from archive.demo import FILES as DEMO_FILES
from archive.demo.content import EVENT as DEMO_EVENT
from archive.demo.content import PHOTOS as DEMO_PHOTOS
from archive.demo.content import PRESENTATIONS as DEMO_DECKS
from tests.browser.conftest import (
    DEMO_SLUG,
    OTHER_DECK_TEXT,
    OTHER_SLUG,
    make_pdf,
    make_photo,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a long partner password"


def upload_files(folder: Path) -> dict[str, list[Path]]:
    """Two decks and three photos made here, an HTML page named .pdf, and a demo photo that
    the archive already holds."""
    made = {
        "forum-opening.pdf": make_pdf(
            [["Digital Government Forum"], ["Welcome"], ["Service design for everyone"]],
            "Forum opening",
        ),
        "open-data-lessons.pdf": make_pdf(
            [["Open data lessons"], ["Publish early, publish often"]], "Open data lessons"
        ),
        "forum-hall.jpg": make_photo(1),
        "forum-panel.jpg": make_photo(2),
        "forum-coffee.jpg": make_photo(3),
        "notes.pdf": b"<!doctype html><html><body>Sign in to continue</body></html>",
    }
    paths = {}
    for name, content in made.items():
        paths[name] = folder / name
        paths[name].write_bytes(content)
    duplicate = folder / "same-as-group-photo.jpg"
    duplicate.write_bytes((DEMO_FILES / "group-photo.jpg").read_bytes())
    good = [paths[n] for n in made if n != "notes.pdf"]
    return {"good": good, "all": [*good, paths["notes.pdf"], duplicate]}


def throttle_uploads(page, bytes_per_second: int | None) -> None:
    """Slow the browser's uploads down (None: full speed), so progress can be seen."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": bytes_per_second or -1,
        },
    )


def test_a_staff_member_creates_an_event_and_uploads_decks_and_photos(
    live_server, new_page, console, tmp_path
):
    files = upload_files(tmp_path)
    console.allow("status of 422")  # the API's answer to the upload of notes.pdf
    page = new_page()
    sign_in(page, live_server, "sam")
    page.get_by_role("link", name="Upload", exact=True).click()
    page.get_by_text("Or create a new event").click()
    page.fill("#new-title", "Digital Government Forum 2024")
    page.fill("#new-start_date", "2024-05-02")
    page.fill("#new-city", "Almaty")
    page.click("#new-event-form button[type=submit]")
    expect(page.locator("#event")).to_have_value("digital-government-forum-2024")

    page.set_input_files("#files", files["all"])
    expect(page.locator("#chosen-list li")).to_have_count(7)
    page.get_by_text("Details for these files").click()
    page.fill("#organisation", "ACSH")
    page.get_by_text("Details for these files").click()  # folded again: the list shows more
    live_server.worker.pause()  # hold processing, to see the queued state first
    throttle_uploads(page, 60_000)
    page.click("#upload-button")
    rows = page.locator("#upload-list .upload-row")
    expect(rows).to_have_count(7)
    expect(page.locator('.upload-row[data-state="uploading"]').first).to_be_visible()
    page.wait_for_selector('.upload-row[data-state="queued"]')
    page.locator("#upload-progress").scroll_into_view_if_needed()
    screenshot(page, "upload")
    throttle_uploads(page, None)

    expect(page.locator('.upload-row[data-state="queued"]')).to_have_count(5)
    rejected = page.locator('.upload-row[data-state="rejected"]')
    expect(rejected).to_contain_text(
        "notes.pdf: not a PDF or a supported photo: the content is an HTML page"
    )
    duplicate = page.locator('.upload-row[data-state="duplicate"]')
    expect(duplicate).to_contain_text("Already in the archive")
    expect(duplicate.get_by_role("link")).to_have_attribute("href", re.compile(r"/items/\d+$"))
    expect(page.locator(".upload-row progress").first).to_have_attribute("value", "100")
    expect(rejected.locator("progress")).to_have_count(0)  # no full blue bar on a failure

    live_server.worker.resume()
    expect(page.locator('.upload-row[data-state="ready"]')).to_have_count(5, timeout=30_000)
    expect(page.locator("#upload-summary")).to_contain_text("5 ready")

    page.goto(live_server("/events/digital-government-forum-2024"))
    expect(page.locator(".deck")).to_have_count(2)
    expect(page.locator(".deck").first).to_contain_text("ACSH")
    expect(page.locator(".gallery-link")).to_have_count(3)
    for image in page.locator(".deck-thumb img, .gallery-link img").all():
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0

    page.get_by_role("button", name="Select all photos").click()
    expect(page.locator(".selected-count")).to_have_text("3 items selected.")
    page.get_by_text("Change fields…").click()
    page.select_option("#visibility", "staff")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.locator(".flash-success")).to_have_text("Changed 3 items of 3 selected.")
    expect(page.locator(".gallery .badge-staff")).to_have_count(3)


def test_a_researcher_finds_a_phrase_on_page_three_of_a_deck(live_server, new_page, console):
    page = new_page()
    sign_in(page, live_server, "rita")
    expect(page.locator(".event-cards")).to_contain_text(DEMO_EVENT["title"])
    screenshot(page, "home")
    page.fill("#q", "digital divide persists")
    page.press("#q", "Enter")
    first = page.locator(".result").first
    expect(first.locator("h3 a")).to_have_text(DEMO_DECKS[0]["title"])
    expect(first.locator(".meta")).to_contain_text("page 3")
    expect(first.locator(".snippet mark").first).to_be_visible()

    first.locator("h3 a").click()
    page.wait_for_url(re.compile(r"/presentations/\d+\?page=3&q="))
    expect(page.locator("#page-number")).to_have_value("3")
    expect(page.locator(".pager")).to_contain_text("of 5")
    marks = [m.lower() for m in page.locator(".page-text mark").all_inner_texts()]
    assert {"digital", "divide", "persists"} <= set(marks)
    # The console listener does catch CSP reports: an injected inline handler is refused.
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=\"1\">')")
    page.wait_for_timeout(200)
    assert console.csp_violations(), console.messages
    console.messages.clear()


def test_a_partner_sees_and_downloads_only_the_granted_event(live_server, new_page, console):
    console.allow("status of 404")  # asked for below
    page = new_page()
    sign_in(page, live_server, "pat")
    page.goto(live_server("/events/"))
    expect(page.locator(".event-list a")).to_have_text([DEMO_EVENT["title"]])
    page.goto(live_server("/search/?q=" + OTHER_DECK_TEXT.replace(" ", "+")))
    expect(page.locator(".empty")).to_contain_text("Nothing found")
    expect(page.locator("main")).not_to_contain_text("Open budgets")

    page.goto(live_server(f"/events/{DEMO_SLUG}?view=list"))
    with page.expect_download() as info:
        page.locator(".deck").first.get_by_role("link", name=re.compile("Download PDF")).click()
    deck = info.value
    assert deck.suggested_filename.endswith(".pdf")
    assert Path(deck.path()).read_bytes().startswith(b"%PDF-")

    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("Download all presentations")).click()
    archive = info.value
    assert archive.suggested_filename == f"{DEMO_SLUG}-presentations.zip"
    with zipfile.ZipFile(archive.path()) as opened:
        assert opened.testzip() is None
        names = opened.namelist()
        assert len(names) == len(DEMO_DECKS) + 3  # the demo's and the reading journeys' decks
        assert "Keynote – Ann Lee.pdf" in names and "Keynote – Ann Lee (2).pdf" in names
        assert all(opened.read(name).startswith(b"%PDF-") for name in opened.namelist())

    other_deck = live_server.ids["other_deck"]
    response = page.goto(live_server(f"/presentations/{other_deck}"))
    assert response.status == 404  # as if it did not exist
    expect(page.locator("h1")).to_have_text("Page not found")
    assert page.request.get(live_server(f"/items/{other_deck}/download")).status == 404
    assert page.request.get(live_server(f"/events/{OTHER_SLUG}/presentations.zip")).status == 404


def test_the_gallery_opens_a_keyboard_lightbox(live_server, new_page):
    page = new_page()
    sign_in(page, live_server, "rita")
    page.goto(live_server(f"/events/{DEMO_SLUG}?view=list"))

    links = page.locator(".gallery-link")
    count = len(DEMO_PHOTOS) + 1  # and the reading journeys' small photo
    expect(links).to_have_count(count)
    first = links.first
    first_caption = first.get_attribute("data-caption")
    first.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(page.locator(".lightbox-close")).to_be_focused()
    title = page.locator("#lightbox-title")
    expect(title).to_have_text(f"Photo 1 of {count}")
    expect(page.locator(".lightbox-caption")).to_have_text(first_caption)
    expect(page.locator(".lightbox-image")).to_have_attribute("src", re.compile("/photo/lightbox$"))
    download = dialog.get_by_role("link", name="Download original")
    expect(download).to_have_attribute("href", re.compile(r"/items/\d+/download$"))
    page.keyboard.press("ArrowRight")
    expect(title).to_have_text(f"Photo 2 of {count}")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    expect(title).to_have_text(f"Photo {count} of {count}")
    for _ in range(6):  # Tab goes round the dialog's controls and never leaves it
        page.keyboard.press("Tab")
        assert page.evaluate("!!document.activeElement.closest('.lightbox')")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("!!document.activeElement.closest('.lightbox')")
    expect(page.locator(".lightbox-image")).to_have_js_property("complete", True)
    screenshot(page, "lightbox")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(first).to_be_focused()


def test_an_admin_creates_a_partner_account_and_grants_an_event(live_server, new_page):
    page = new_page()
    sign_in(page, live_server, "ada")
    page.get_by_role("link", name="Admin").click()
    page.goto(live_server("/admin/users/new"))
    page.fill("#username", "olga")
    page.fill("#display_name", "Olga Ivanova")
    page.select_option("#role", "partner")
    page.fill("#new_organisation", "OECD")
    page.fill("#password", NEW_PASSWORD)
    page.fill("#confirm", NEW_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".flash-success")).to_contain_text("Account olga created")

    page.goto(live_server(f"/admin/events/{OTHER_SLUG}"))
    page.select_option("#organisation", label="OECD")
    page.get_by_role("button", name="Grant").click()
    expect(page.locator(".flash-success")).to_contain_text("OECD now sees “Open data days”")
    expect(page.locator(".grant-list")).to_contain_text("OECD")
    screenshot(page, "admin")

    partner = new_page()
    sign_in(partner, live_server, "olga", NEW_PASSWORD)
    partner.goto(live_server("/events/"))
    expect(partner.locator(".event-list a")).to_have_text(["Open data days"])
    partner.goto(live_server("/search/?q=" + OTHER_DECK_TEXT.replace(" ", "+")))
    expect(partner.locator(".result h3 a")).to_have_text(["Open budgets"])


def test_the_upload_form_works_without_javascript(live_server, new_page, tmp_path):
    deck = tmp_path / "no-script-deck.pdf"
    deck.write_bytes(make_pdf([["Uploaded without JavaScript"]], "No script"))
    bad = tmp_path / "report.pdf"
    bad.write_bytes(b"<html><body>not a PDF</body></html>")
    page = new_page(java_script_enabled=False)
    sign_in(page, live_server, "sam")
    page.goto(live_server(f"/upload/?event={OTHER_SLUG}"))
    page.set_input_files("#files", [deck, bad])
    page.click("#upload-button")
    page.wait_for_url(live_server("/upload/results"))
    expect(page.locator('.upload-row[data-state="rejected"]')).to_contain_text(
        "report.pdf: not a PDF or a supported photo: the content is an HTML page"
    )
    row = page.locator(".upload-row[data-item-id]")
    expect(row).to_contain_text("no-script-deck.pdf")
    for _ in range(40):  # no script polls here: the page is reloaded, as a person would
        if row.get_attribute("data-state") == "ready":
            break
        page.wait_for_timeout(250)
        page.reload()
    expect(row).to_have_attribute("data-state", "ready")
    expect(row.get_by_role("link")).to_have_text("No script")


PHONE_PAGES = (
    "/",
    "/events/",
    f"/events/{DEMO_SLUG}",
    f"/events/{DEMO_SLUG}?view=list",
    f"/events/{DEMO_SLUG}/programme/edit",
    f"/events/{DEMO_SLUG}/programme/cameras",
    f"/events/{DEMO_SLUG}/programme/photos",
    "/search/?q=digital+divide",
    "/upload/",
    "/admin/",
    "/admin/users/",
    "/admin/audit/",
)


def test_pages_fit_a_phone_screen(live_server, new_page):
    page = new_page(viewport={"width": 375, "height": 740})
    sign_in(page, live_server, "ada")
    for path in PHONE_PAGES:
        page.goto(live_server(path))
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 375px"
    page.goto(live_server("/search/?q=digital+divide"))
    page.locator(".result h3 a").first.click()
    # A click does not wait for the next page's stylesheet, and a layout measured before it
    # has loaded shows the page image at its full 1,200 px: wait as `goto` does above.
    page.wait_for_url(re.compile(r"/presentations/\d+"), wait_until="load")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "the viewer scrolls sideways at 375px"
