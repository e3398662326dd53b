"""The event programme in Chromium (issue 15): the demo's two-day timetable on a desktop
and on a phone, printed, and staff correcting a camera clock with a preview. Screenshots
go to docs/screenshots/ (timetable.png, timetable-phone.png, camera-clocks.png)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from archive.demo.content import PROGRAMME
from tests.browser.conftest import DEMO_SLUG, screenshot, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_a_researcher_reads_the_timetable_with_photos_under_their_sessions(live_server, new_page):
    page = new_page()
    sign_in(page, live_server, "rita")
    page.goto(live_server(f"/events/{DEMO_SLUG}"))
    expect(page.locator(".tt-day-heading")).to_have_text(
        ["Day 1 · Tue, 25 July 2023", "Day 2 · Wed, 26 July 2023"]  # CLDR dates (#14)
    )
    sessions = page.locator(".tt-session h3")
    expect(sessions).to_have_count(len(PROGRAMME["sessions"]))
    opening = page.locator(".tt-session", has_text="Opening ceremony")
    expect(opening.locator(".tt-time")).to_have_text("09:30–10:30")
    expect(opening).to_contain_text("Alikhan Baimenov (Astana Civil Service Hub)")
    expect(opening.locator(".tt-photos img")).to_have_attribute(
        "alt", "Opening ceremony of the workshop"
    )
    panel = page.locator(".tt-session", has_text="Panel: digital inclusion")
    # the phone's clock ran an hour behind; its corrected photo sits in the panel
    expect(panel.locator(".tt-photos img")).to_have_attribute(
        "alt", "Panel on digital inclusion and citizen services"
    )
    expect(page.locator(".tt-break", has_text="After the sessions").locator("img")).to_have_count(1)
    keynote = page.locator(".tt-session", has_text="Keynote: the 2022 UN")
    expect(
        keynote.get_by_role(
            "link", name="The 2022 UN E-Government Survey: main findings", exact=True
        )
    ).to_be_visible()
    expect(keynote.get_by_role("link", name="Download PDF of")).to_be_visible()
    for image in page.locator(".tt-photos img").all():
        image.scroll_into_view_if_needed()
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0
    page.get_by_role("link", name="Day 2 Wed 26 Jul").click()
    expect(page).to_have_url(live_server(f"/events/{DEMO_SLUG}#day-2023-07-26"))
    page.goto(live_server(f"/events/{DEMO_SLUG}"))
    page.evaluate("window.scrollTo(0, document.getElementById('programme').offsetTop - 8)")
    screenshot(page, "timetable")

    keynote.get_by_role(
        "link", name="The 2022 UN E-Government Survey: main findings", exact=True
    ).click()
    expect(page.locator("h1")).to_contain_text("The 2022 UN E-Government Survey")


def test_the_timetable_on_a_phone_and_in_print(live_server, new_page):
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(page, live_server, "pat")
    page.goto(live_server(f"/events/{DEMO_SLUG}"))
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the timetable scrolls sideways by {overflow}px on a phone"
    session = page.locator(".tt-session").first
    time_box = session.locator(".tt-time").bounding_box()
    body_box = session.locator(".tt-body").bounding_box()
    assert time_box["y"] + time_box["height"] <= body_box["y"] + 1  # time above, not beside
    page.evaluate("window.scrollTo(0, document.getElementById('programme').offsetTop - 8)")
    screenshot(page, "timetable-phone")

    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".day-nav")).to_be_hidden()
    expect(page.locator(".tt-session").first).to_be_visible()


def test_staff_correct_a_camera_clock_after_a_preview(live_server, new_page):
    page = new_page()
    sign_in(page, live_server, "sam")
    page.goto(live_server(f"/events/{DEMO_SLUG}"))
    page.get_by_role("link", name="Camera clocks").click()
    row = page.locator("tr", has_text="Workshop Archive demo generator")
    row.get_by_label("Correction for Workshop Archive demo generator").fill("-1:00")
    row.get_by_role("button", name="Preview").click()
    preview = page.locator(".preview")
    expect(preview).to_contain_text("would move")
    expect(preview).to_contain_text("from Opening ceremony to Before the sessions")
    screenshot(page, "camera-clocks")
    page.get_by_role("link", name="Cancel").click()  # nothing saved
    expect(page.locator(".preview")).to_have_count(0)
    page.goto(live_server(f"/events/{DEMO_SLUG}"))
    opening = page.locator(".tt-session", has_text="Opening ceremony")
    expect(opening.locator(".tt-photos img")).to_have_count(1)
