"""The partner API: search, events and files by token, the same answers as the pages, and
real responses validated against the served OpenAPI 3.1 description (openapi-core)."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from urllib.parse import urlsplit

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from sqlalchemy import select

from archive import accounts, pipeline
from archive.extensions import db
from archive.models import AuditEntry
from tests.conftest import PASSWORD, publish_files

ROLES = ("researcher", "partner", "staff", "admin")
QUERIES = [
    {"q": "budget"},
    {"q": "budget", "sort": "newest"},
    {"q": "budg*"},
    {"q": '"open budget"'},
    {"q": "budget -draft"},
    {"q": "budget", "type": "presentation"},
    {"q": "harbour"},
    {"q": "budgte"},
    {"q": "(budget OR harbour"},
    {"q": "budget", "page": "2"},
    {"q": "year:2023 budget"},
    {"q": "budgte", "verbatim": "1"},
]


DERIVED = {
    "grid.webp": b"RIFF",
    "lightbox.jpg": b"JPG",
    **{f"page-000{n}-{size}": b"IMG" for n in (1, 2) for size in ("thumb.webp", "preview.jpg")},
}


@pytest.fixture
def archive(make_event, make_presentation, make_photo, make_jpeg):
    """Two events (one granted to UNDP) with shared, staff-only and many matching decks."""
    baku = make_event("baku-2023", "Open budgets in Baku", start_date=date(2023, 7, 25))
    oslo = make_event("oslo-2022", "Harbour data in Oslo", start_date=date(2022, 5, 2))
    accounts.add_grant(baku, accounts.find_or_create_organisation("UNDP"))
    db.session.commit()
    items = []
    for n in range(12):
        items.append(
            make_presentation(
                baku,
                f"Budget deck {n}",
                pages=(f"open budget page {n}", "draft notes" if n % 3 == 0 else "more budget"),
                speakers="Ann Lee",
            )
        )
    items.append(
        make_presentation(baku, "Secret budget", pages=("budget staff",), visibility="staff")
    )
    items.append(make_presentation(oslo, "Harbour budget", pages=("harbour budget <script>",)))
    # A real JPEG: a photo goes to partners only once its location is surely removed.
    jpeg = make_jpeg(gps=True).read_bytes()
    photo = make_photo(baku, "Budget meeting photo", content=jpeg, original_filename="meet.jpg")
    items.append(photo)
    for item in items:
        publish_files(item.id, DERIVED)
    pipeline.index_items([i.id for i in items])
    return {"baku": baku, "oslo": oslo, "items": items, "photo": photo}


@pytest.fixture
def token_for(make_user):
    made = iter(range(1, 1000))

    def make(role: str) -> dict[str, str]:
        name = f"{role}-api-{next(made)}"
        user = make_user(name, role, "UNDP" if role == "partner" else None)
        _, secret = accounts.issue_token(user, "script")
        db.session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return make


@pytest.fixture
def spec(client, token_for) -> OpenAPI:
    document = client.get("/api/v1/openapi.json", headers=token_for("researcher")).json
    return OpenAPI.from_dict(document)  # validates the document itself (OpenAPI 3.1)


def checked(spec: OpenAPI, response):
    """Validate a real response (and its request) against the OpenAPI description."""
    request = WerkzeugOpenAPIRequest(response.request)
    spec.validate_response(request, WerkzeugOpenAPIResponse(response))
    return response


def api_get(client, headers, url: str, **params):
    return client.get(url, headers=headers, query_string=params or None)


# ---------------------------------------------------------------- the same answers as the page


def page_answer(client, params: dict) -> dict:
    """What the search page shows, read from its HTML."""
    html = client.get("/search/", query_string=params).get_data(as_text=True)
    results = re.findall(r'<h3><a href="/presentations/(\d+)\?page=(\d+)', html)
    photos = re.findall(r'<a href="/items/(\d+)">\s*<img loading="lazy" src="/items/', html)
    count = re.search(r'id="result-count"[^>]*>(.*?)</h2>', html, re.S)
    suggestion = re.search(r'Did you mean <a href="[^"]*">([^<]*)</a>', html)
    corrected = re.search(r"Showing results for <strong>([^<]*)</strong>.*?>([^<]*)</a>", html)
    notice = re.search(r'<p class="notice" role="status">(.*?)</p>', html, re.S)
    facets = re.findall(r'</a> <span class="count">(\d+)</span>', html)
    return {
        "results": [(int(i), int(p)) for i, p in results],
        "photos": [int(i) for i in photos],
        "count": " ".join(count.group(1).split()) if count else "",
        "suggestion": suggestion.group(1) if suggestion else None,
        "corrected": corrected.groups() if corrected else None,
        "notice": " ".join(notice.group(1).split()) if notice else None,
        "facet_counts": sorted(int(c) for c in facets),
    }


def api_answer(client, headers, params: dict) -> dict:
    data = client.get("/api/v1/search", headers=headers, query_string=params).json
    pages = data["total_pages"]
    parts = []
    if pages:
        parts.append(f"{pages} matching page{'' if pages == 1 else 's'} in "
                     f"{data['total_presentations']} presentation"
                     f"{'' if data['total_presentations'] == 1 else 's'}")  # fmt: skip
    if data["total_photos"]:
        photos = data["total_photos"]
        parts.append(f"{photos} photo{'' if photos == 1 else 's'}")
    return {
        "results": [(g["item_id"], g["best_page"]["number"]) for g in data["results"]],
        "photos": [p["item_id"] for p in data["photos"]],
        "count": ", ".join(parts) or "No results",
        "suggestion": data["suggestion"]["q"] if data["suggestion"] else None,
        "corrected": (
            (data["query"]["q"], data["corrected_from"]) if data["corrected_from"] else None
        ),
        "notice": data["notice"],
        "facet_counts": sorted(v["count"] for values in data["facets"].values() for v in values),
    }


@pytest.mark.parametrize("role", ROLES)
def test_the_api_answers_like_the_search_page(app, archive, make_user, token_for, role):
    headers = token_for(role)
    browser = app.test_client()
    make_user(f"{role}-web", role, "UNDP" if role == "partner" else None)
    browser.post("/login", data={"username": f"{role}-web", "password": PASSWORD})
    api = app.test_client()
    shown = []
    for params in QUERIES:
        page = page_answer(browser, params)
        assert api_answer(api, headers, params) == page, params
        shown.append(page)
    assert all(shown[0][key] for key in ("results", "photos", "count", "facet_counts"))
    # A typo that finds nothing answers with its correction's results, unless asked verbatim.
    assert shown[7]["corrected"] == ("budget", "budgte") and shown[7]["results"]
    assert shown[11]["suggestion"] == "budget" and not shown[11]["results"]
    assert "plain words" in shown[8]["notice"]


def test_partners_search_only_their_events(client, archive, token_for):
    data = client.get(
        "/api/v1/search",
        headers=token_for("partner"),
        query_string={"q": "budget", "per_page": 100},
    ).json
    found = {g["item_id"] for g in data["results"]}
    secret, oslo_deck = archive["items"][12], archive["items"][13]
    assert secret.id not in found and oslo_deck.id not in found
    assert {v["label"] for v in data["facets"]["event"]} == {"Open budgets in Baku"}


# ---------------------------------------------------------------- the OpenAPI description


def test_real_responses_match_the_openapi_description(client, archive, token_for, spec):
    staff, partner = token_for("staff"), token_for("partner")
    deck, photo = archive["items"][0], archive["photo"]
    for headers, url, params in [
        (partner, "/api/v1/me", {}),
        (partner, "/api/v1/search", {"q": "budget", "per_page": "5"}),
        (
            partner,
            "/api/v1/search",
            {"q": "budget", "type": ["presentation", "photo"], "event": str(archive["baku"].id)},
        ),
        (partner, "/api/v1/search", {"q": "(budget"}),
        (partner, "/api/v1/search", {}),
        (staff, "/api/v1/search", {"q": "budgte"}),
        (partner, "/api/v1/events", {}),
        (staff, "/api/v1/events", {"per_page": "1", "page": "2"}),
        (partner, "/api/v1/events/baku-2023", {}),
        (partner, "/api/v1/events/baku-2023/items", {}),
        (partner, f"/api/v1/items/{deck.id}", {}),
        (partner, f"/api/v1/items/{photo.id}", {}),
        (partner, f"/api/v1/items/{deck.id}/pages/1", {"hl": "budget"}),
        (partner, f"/api/v1/items/{deck.id}/pages/1/thumb", {}),
        (partner, f"/api/v1/items/{photo.id}/photo/grid", {}),
        (partner, f"/api/v1/items/{deck.id}/download", {}),
        (partner, "/api/v1/events/baku-2023/presentations.zip", {}),
        (partner, "/api/v1/events/oslo-2022", {}),
        (partner, f"/api/v1/items/{archive['items'][13].id}", {}),
        (partner, "/api/v1/items/987654/download", {}),
        ({}, "/api/v1/search", {"q": "budget"}),
        ({"Authorization": "Bearer wa_wrong"}, "/api/v1/events", {}),
    ]:
        response = client.get(url, headers=headers, query_string=params)
        assert response.status_code in (200, 401, 404), (url, response.status_code)
        checked(spec, response)


def test_every_url_in_an_answer_works_with_the_same_token(client, archive, token_for):
    headers = token_for("partner")
    seen, queue = set(), ["/api/v1/search?q=budget&per_page=3", "/api/v1/events"]
    while queue and len(seen) < 80:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.status_code)
        if response.mimetype == "application/json":
            for found in re.findall(r'"(http://localhost[^"]+)"', response.get_data(as_text=True)):
                parts = urlsplit(found)
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    assert any("/download" in u for u in seen) and any("/pages/" in u for u in seen)
    assert any("presentations.zip" in u for u in seen)


# ---------------------------------------------------------------- details


def test_snippets_are_escaped_text_with_mark_only(client, archive, token_for):
    data = client.get(
        "/api/v1/search", headers=token_for("researcher"), query_string={"q": "harbour"}
    ).json
    snippet = data["results"][0]["best_page"]["snippet"]
    assert "&lt;script&gt;" in snippet and "<script" not in snippet
    assert set(re.findall(r"</?([a-z]+)", snippet)) == {"mark"}


def test_a_malformed_query_is_searched_as_words_and_says_so(client, archive, token_for):
    data = client.get(
        "/api/v1/search", headers=token_for("researcher"), query_string={"q": "(budget"}
    ).json
    assert "searched as plain words" in data["notice"]
    assert data["total_presentations"] > 0


def test_pagination_links_walk_every_result_once(client, archive, token_for):
    headers = token_for("researcher")
    url, seen = "/api/v1/search?q=budget&per_page=5", []
    while url:
        data = client.get(url, headers=headers).json
        seen += [g["item_id"] for g in data["results"]]
        nxt = data["links"].get("next")
        url = urlsplit(nxt).path + "?" + urlsplit(nxt).query if nxt else None
    assert len(seen) == len(set(seen)) == data["total_presentations"] == 13  # not the staff deck


def test_per_page_is_capped_at_100(client, archive, token_for):
    data = client.get(
        "/api/v1/search", headers=token_for("staff"), query_string={"q": "budget", "per_page": 5000}
    ).json
    assert data["per_page"] == 100


def test_errors_are_json_with_a_code(client, archive, token_for):
    headers = token_for("partner")
    missing = client.get("/api/v1/items/987654", headers=headers)
    assert (missing.status_code, missing.json["code"]) == (404, "not_found")
    assert client.get("/api/v1/nowhere", headers=headers).json["code"] == "not_found"
    anonymous = client.get("/api/v1/search")
    assert (anonymous.status_code, anonymous.json["code"]) == (401, "unauthorized")
    staff = token_for("staff")
    empty = client.post("/api/v1/events/baku-2023/items", headers=staff)
    assert (empty.status_code, empty.json["code"]) == (400, "no_files")
    wrong_method = client.delete("/api/v1/events", headers=headers)
    assert (wrong_method.status_code, wrong_method.json["code"]) == (405, "method_not_allowed")


def test_downloads_by_token_are_named_and_recorded(client, archive, token_for):
    headers = token_for("partner")
    deck = archive["items"][0]
    response = client.get(f"/api/v1/items/{deck.id}/download", headers=headers)
    assert response.status_code == 200 and response.headers["Content-Disposition"].startswith(
        "attachment"
    )
    zipped = client.get("/api/v1/events/baku-2023/presentations.zip", headers=headers)
    with zipfile.ZipFile(io.BytesIO(zipped.data)) as opened:
        assert len(opened.namelist()) == 12
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action.like("download%"))
    ).all()
    assert [(e.route, e.organisation) for e in entries] == [
        ("api.download_item", "UNDP"),
        ("api.event_zip", "UNDP"),
    ]


def test_events_list_what_the_user_may_see(client, archive, token_for):
    partner = client.get("/api/v1/events", headers=token_for("partner")).json
    assert [e["slug"] for e in partner["events"]] == ["baku-2023"]
    assert partner["events"][0]["presentations"] == 12 and partner["events"][0]["photos"] == 1
    staff = client.get("/api/v1/events", headers=token_for("staff")).json
    assert [e["slug"] for e in staff["events"]] == ["baku-2023", "oslo-2022"]
    detail = client.get("/api/v1/events/baku-2023", headers=token_for("staff")).json
    assert len(detail["presentations"]) == 13 and len(detail["photos"]) == 1


def test_a_page_of_a_deck_marks_the_terms(client, archive, token_for):
    deck = archive["items"][0]
    page = client.get(
        f"/api/v1/items/{deck.id}/pages/1",
        headers=token_for("partner"),
        query_string={"hl": "budget"},
    ).json
    assert page["text"] == "open budget page 0"
    assert page["highlighted"] == "open <mark>budget</mark> page 0"
    assert page["links"]["next"].endswith(f"/api/v1/items/{deck.id}/pages/2?hl=budget")
