"""Event pages, the partner's home page, admin forms and the storage summary (issue 14)."""

from __future__ import annotations

import re
from datetime import datetime

from archive import accounts
from archive.extensions import db
from archive.models import Item, ItemState
from archive.models.items import photographer_in_caption


def input_tag(html: str, ident: str) -> str:
    return re.search(rf'<input[^>]*\bid="{ident}"[^>]*>', html).group(0)


def deck_titles(html: str) -> list[str]:
    return re.findall(r'<h3><a href="/presentations/\d+">([^<]+)</a></h3>', html)


def test_decks_sort_by_title_speaker_and_upload_date(
    client, login_as, make_event, make_presentation
):
    login_as("researcher")
    event = make_event()
    make_presentation(event, "beta", speakers="Zoe", created_at=datetime(2024, 1, 3))
    make_presentation(
        event, "", original_filename="alpha.pdf", speakers="", created_at=datetime(2024, 1, 1)
    )
    make_presentation(event, "Gamma", speakers="adam", created_at=datetime(2024, 1, 2))
    by_title = deck_titles(client.get("/events/baku-2023").data.decode())
    assert by_title == ["alpha.pdf", "beta", "Gamma"]  # case-insensitive; untitled by file name
    by_speaker = deck_titles(client.get("/events/baku-2023?sort=speaker").data.decode())
    assert by_speaker == ["Gamma", "beta", "alpha.pdf"]  # adam, Zoe, then no speaker
    newest = deck_titles(client.get("/events/baku-2023?sort=uploaded").data.decode())
    assert newest == ["beta", "Gamma", "alpha.pdf"]
    grid = client.get("/events/baku-2023?view=grid").data.decode()
    assert 'class="deck-list view-grid"' in grid


def test_decks_with_the_same_title_show_their_file_names(
    client, login_as, make_event, make_presentation
):
    login_as("researcher")
    event = make_event()
    make_presentation(event, "Keynote", original_filename="keynote-day1.pdf")
    make_presentation(event, "keynote", original_filename="keynote-day2.pdf")
    make_presentation(event, "Other", original_filename="other.pdf")
    page = client.get("/events/baku-2023").data.decode()
    assert "keynote-day1.pdf" in page and "keynote-day2.pdf" in page
    assert "other.pdf" not in page


def test_staff_see_an_empty_state_that_offers_the_first_upload(client, login_as, make_event):
    login_as("staff")
    make_event()
    page = client.get("/events/baku-2023").data.decode()
    assert 'href="/upload/?event=baku-2023">Upload the first deck</a>' in page


def test_cards_have_no_delete_link_the_edit_page_has(
    client, login_as, make_event, make_presentation
):
    login_as("staff")
    deck = make_presentation(make_event(), "Deck")
    page = client.get("/events/baku-2023").data.decode()
    assert f"/items/{deck.id}/delete" not in page
    assert f"/items/{deck.id}/delete" in client.get(f"/items/{deck.id}/edit").data.decode()


def test_a_partner_home_page_names_the_organisation_and_its_events(client, make_user, make_event):
    shared = make_event("shared-2024", "Shared forum")
    make_event("other-2024", "Other forum")
    accounts.add_grant(shared, accounts.find_or_create_organisation("OECD"))
    db.session.commit()
    make_user("olga", "partner", "OECD")
    client.post("/login", data={"username": "olga", "password": "correct horse battery"})
    page = client.get("/").data.decode()
    assert "You are signed in for OECD" in page
    assert "Events shared with OECD" in page and "Shared forum" in page
    assert "Other forum" not in page


def test_the_new_account_form_defaults_to_researcher_and_keeps_values(client, login_as):
    login_as("admin")
    form = client.get("/admin/users/new").data.decode()
    assert '<option selected value="researcher">' in form
    answer = client.post(
        "/admin/users/new",
        data={"username": "x", "display_name": "Olga", "role": "staff", "password": "short"},
    ).data.decode()
    assert 'value="Olga"' in answer and 'value="short"' not in answer
    username = input_tag(answer, "username")
    assert 'aria-invalid="true"' in username
    assert 'aria-describedby="username-help username-error"' in username
    assert 'id="username-error"' in answer


def test_sign_in_inputs_have_autocomplete(client):
    page = client.get("/login").data.decode()
    assert 'autocomplete="username"' in input_tag(page, "username")
    assert 'autocomplete="current-password"' in input_tag(page, "password")


def test_a_failed_item_can_be_retried_from_the_storage_summary(
    client, login_as, make_event, make_presentation
):
    login_as("admin")
    deck = make_presentation(make_event(), "Broken", status="failed", error="damaged PDF")
    summary = client.get("/admin/storage").data.decode()
    assert f'action="/items/{deck.id}/retry"' in summary and f"/items/{deck.id}/delete" in summary
    answer = client.post(f"/items/{deck.id}/retry", data={"next": "/admin/storage"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin/storage"
    db.session.refresh(deck)
    # processed again at once in tests (QUEUE_IMMEDIATE): the fake PDF fails again, with a reason
    assert deck.status in (ItemState.FAILED, ItemState.QUEUED) and deck.attempts >= 0
    again = client.post(f"/items/{deck.id}/retry", data={"next": "/"})
    assert again.status_code == 302
    assert db.session.get(Item, deck.id) is not None


def test_a_photographer_credit_is_read_from_the_caption():
    assert photographer_in_caption("Opening. Photo: Ann Lee") == "Ann Lee"
    assert photographer_in_caption("Открытие (фото: А. Иванов)") == "А. Иванов"
    assert photographer_in_caption("Group photo of participants") is None
    assert photographer_in_caption(None) is None


def test_the_lightbox_gets_date_camera_and_photographer(client, login_as, make_event, make_photo):
    login_as("researcher")
    make_photo(
        make_event(),
        "Panel. Photo: Ann Lee",
        taken_at=datetime(2023, 7, 25, 10, 0),
        camera_make="Canon",
        camera_model="EOS R6",
        width=320,
        height=200,
    )
    page = client.get("/events/baku-2023").data.decode()
    assert 'data-details="25 July 2023 · Canon EOS R6 · Photo: Ann Lee"' in page
    assert 'data-width="320" data-height="200"' in page
