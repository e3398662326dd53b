"""Issue 16 in Chromium: staff replace a deck with a corrected version; staff share a
selection through a link that a fresh browser, with no session, opens and uses."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from archive.demo.content import PHOTOS as DEMO_PHOTOS
from archive.demo.content import PRESENTATIONS as DEMO_DECKS
from tests.browser.conftest import DEMO_SLUG, make_pdf, screenshot, sign_in

pytestmark = pytest.mark.browser

DECK = DEMO_DECKS[0]
PHOTO = DEMO_PHOTOS[0]


def open_deck(page, live_server) -> str:
    """Open the first demo deck from its event page; returns the viewer's URL."""
    page.goto(live_server(f"/events/{DEMO_SLUG}"))
    page.get_by_role("link", name=DECK["title"], exact=True).first.click()
    page.wait_for_url(re.compile(r"/presentations/\d+$"))
    return page.url


def test_staff_replace_a_deck_and_links_keep_working(live_server, new_page, tmp_path):
    corrected = tmp_path / "survey-corrected.pdf"
    corrected.write_bytes(
        make_pdf([["Corrected findings"], ["The digital divide narrows"]], "Corrected")
    )
    page = new_page()
    sign_in(page, live_server, "sam")
    viewer = open_deck(page, live_server)
    page.get_by_role("link", name="Versions (1)").click()
    page.set_input_files("#file", corrected)
    page.fill("#note", "Figures on slide 2 corrected after the workshop")
    page.click("#version-upload")
    expect(page.locator(".flash-success")).to_contain_text("Version 2 uploaded")
    for _ in range(60):  # the worker processes it; a person would reload
        if page.locator('tr[data-version="2"].current').count():
            break
        page.wait_for_timeout(250)
        page.reload()
    expect(page.locator('tr[data-version="2"]')).to_have_class("current")
    expect(page.locator('tr[data-version="1"] .version-state')).to_contain_text("earlier")
    expect(page.locator('tr[data-version="2"]')).to_contain_text("Figures on slide 2 corrected")
    screenshot(page, "versions")

    page.locator('tr[data-version="1"]').get_by_role("link", name="View version 1").click()
    expect(page.locator("h1")).to_contain_text("Version 1 of")
    expect(page.locator(".page-image img")).to_have_js_property("complete", True)
    assert page.locator(".page-image img").evaluate("img => img.naturalWidth") > 0

    researcher = new_page()
    sign_in(researcher, live_server, "rita")
    researcher.goto(viewer + "?page=5")  # a bookmark made when the deck had five pages
    expect(researcher.locator("#missing-page")).to_contain_text("only 2 pages")
    expect(researcher.locator(".page-text")).to_contain_text("The digital divide narrows")
    expect(researcher.get_by_role("link", name=re.compile("^Versions"))).to_have_count(0)


def test_a_share_link_works_in_a_fresh_browser_without_a_session(
    live_server, new_page, console, tmp_path
):
    console.allow("status of 404")  # the revoked link, asked for at the end
    staff = new_page()
    sign_in(staff, live_server, "sam")
    staff.goto(live_server(f"/events/{DEMO_SLUG}?view=list"))  # the lists, not the timetable
    staff.get_by_label(f"Select “{DECK['title']}”").check()
    staff.get_by_label(f"Select photo “{PHOTO['title']}”").check()
    staff.click("#share-selected")
    staff.wait_for_url(re.compile(r"/shares/new\?items="))
    expect(staff.locator(".share-items li")).to_have_count(2)
    staff.fill("#recipient", "Nodira Karimova, Ministry of Digital Development")
    staff.fill("#password", "tulip meadow 7")
    staff.fill("#max_downloads", "10")
    staff.fill("#message", "The slides and the group photo from Day 1, as promised.")
    staff.evaluate("window.scrollTo(0, 0)")
    screenshot(staff, "share-new")
    staff.get_by_role("button", name="Create the link").click()
    url = staff.locator("#share-url").inner_text()
    assert re.fullmatch(re.escape(live_server("/s/")) + r"[A-Za-z0-9_-]{59}", url)

    guest = new_page()  # a fresh context: no cookies, no account
    guest.goto(url)
    expect(guest.locator("h1")).to_have_text(
        "Materials shared with Nodira Karimova, Ministry of Digital Development"
    )
    expect(guest.locator("main")).not_to_contain_text(DECK["title"])
    guest.fill("#password", "tulip meadow 7")
    guest.get_by_role("button", name="Open").click()
    expect(guest.locator(".deck")).to_have_count(1)
    expect(guest.locator(".deck")).to_contain_text(DECK["title"])
    expect(guest.locator(".gallery-link")).to_have_count(1)
    expect(guest.locator(".share-message")).to_contain_text("as promised")
    for image in guest.locator(".deck-thumb img, .gallery-link img").all():
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0
    assert guest.locator("nav").count() == 0
    assert "Search" not in guest.locator("body").inner_text()
    screenshot(guest, "share-link")

    with guest.expect_download() as info:
        guest.locator("#download-all").click()
    with zipfile.ZipFile(info.value.path()) as archive:
        names = archive.namelist()
    assert names[:2] == ["index.html", "index.csv"] and len(names) == 4
    assert any(name.endswith(".pdf") for name in names)  # the deck's current version
    assert any(name.endswith(PHOTO["file"]) for name in names)

    guest.locator(".deck h3 a").click()
    expect(guest.locator(".pager")).to_contain_text("Page 1 of")
    guest.set_viewport_size({"width": 375, "height": 740})
    overflow = guest.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the link's viewer scrolls sideways by {overflow}px at 375px"
    guest.set_viewport_size({"width": 1280, "height": 800})
    cookies = {c["name"] for c in guest.context.cookies()}
    assert "session" not in cookies and cookies <= {"share_unlock", "share_form"}
    guest.goto(live_server("/search/?q=digital"))
    expect(guest).to_have_url(re.compile(r"/login"))

    staff.goto(live_server("/shares/"))
    row = staff.locator("tr[data-state=active]").first
    expect(row).to_contain_text("Nodira Karimova")
    expect(row.locator(".downloads")).to_have_text("1 of 10")
    row.get_by_role("button", name=re.compile("^Revoke")).click()
    expect(staff.locator(".flash-success")).to_contain_text("no longer works")
    guest.goto(url)
    expect(guest.locator("h1")).to_have_text("This link is not available")


def test_a_partner_bundles_materials_across_events(live_server, new_page, tmp_path):
    page = new_page()
    sign_in(page, live_server, "pat")
    page.get_by_role("link", name="Bundle", exact=True).click()
    page.get_by_role("button", name="Select all of this event").first.click()
    # Other browser tests of this server add materials to the demo event: count what is ticked.
    ticked = page.locator("input[type=checkbox]:checked").count()
    assert ticked >= len(DEMO_DECKS) + len(DEMO_PHOTOS)
    screenshot(page, "bundle")
    with page.expect_download() as info:
        page.click("#bundle-download")
    download = info.value
    assert download.suggested_filename.startswith("undp-bundle-")
    with zipfile.ZipFile(Path(download.path())) as archive:
        names = archive.namelist()
        assert archive.testzip() is None
    assert "index.html" in names and "index.csv" in names
    assert sum(name.startswith(f"{DEMO_SLUG}/") for name in names) == ticked
