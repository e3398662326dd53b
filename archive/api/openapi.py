"""`GET /api/v1/openapi.json`: the OpenAPI 3.1 description of the API.

Built here from the same constants the code uses (facets, sorts, states, sizes), so that it
cannot drift from them; the tests validate real responses against it with openapi-core.
Schemas are closed (`additionalProperties: false`): an undocumented field fails the tests.
"""

from __future__ import annotations

from flask import jsonify

from archive.api import openapi_sharing
from archive.api.blueprint import bp
from archive.api.schema import (
    BOOLEAN,
    INTEGER,
    LINKS,
    NULLABLE_INTEGER,
    NULLABLE_STRING,
    STRING,
    URI,
    array,
    binary,
    closed,
    json_body,
    operation,
    param,
    ref,
)
from archive.fulltext.results import FACETS, FACETS_WITHIN_EVENT, MAX_PER_PAGE, SORTS
from archive.models import ROLES, STATES, VISIBILITIES, ItemKind
from archive.storage import PAGE_FILES, PHOTO_FILES
from archive.version import __version__
from archive.vocabulary import OcrState


def item_schema() -> dict:
    deck_only = ["speakers", "organisation", "language"]
    properties = {
        "id": INTEGER,
        "kind": {"enum": [k.value for k in ItemKind]},
        "state": {"enum": list(STATES)},
        "error": NULLABLE_STRING,
        "error_code": NULLABLE_STRING,
        "title": STRING,
        "original_filename": STRING,
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "size": INTEGER,
        "mime": STRING,
        "visibility": {"enum": list(VISIBILITIES)},
        "event": STRING,
        "version": {**INTEGER, "description": "the number of the current version, from 1"},
        "page_count": NULLABLE_INTEGER,
        "text_recognition": closed(
            {
                "state": {"enum": [None, *(s.value for s in OcrState)]},
                "pages_done": NULLABLE_INTEGER,
                "pages_total": NULLABLE_INTEGER,
                "error": NULLABLE_STRING,
            }
        ),
        "links": LINKS,
        "speakers": NULLABLE_STRING,
        "organisation": NULLABLE_STRING,
        "language": NULLABLE_STRING,
    }
    return closed(properties, [p for p in properties if p not in deck_only])


def page_hit_schema() -> dict:
    return closed(
        {
            "number": INTEGER,
            "label": NULLABLE_STRING,
            "score": {"type": "number"},
            "snippet": {"type": "string", "description": "HTML-escaped; <mark> only markup"},
            "thumbnail_url": URI,
            "image_url": URI,
            "viewer_url": URI,
            "first_page": {
                **NULLABLE_INTEGER,
                "description": "first matching page of an overlay run ending at `number`",
            },
            "recognised": {**BOOLEAN, "description": "text (partly) recognised by OCR"},
        }
    )


def event_properties() -> dict:
    return {
        "slug": STRING,
        "title": STRING,
        "start_date": {"type": ["string", "null"], "format": "date"},
        "end_date": {"type": ["string", "null"], "format": "date"},
        "city": STRING,
        "country": STRING,
        "venue": STRING,
        "organisers": array(STRING),
        "tags": array(STRING),
        "description": STRING,
        "presentations": INTEGER,
        "photos": INTEGER,
        "links": LINKS,
    }


def search_schema() -> dict:
    facet_value = closed(
        {"value": STRING, "label": STRING, "count": INTEGER, "selected": {"type": "boolean"}}
    )
    return closed(
        {
            "query": closed(
                {
                    "q": STRING,
                    "filters": {"type": "object", "additionalProperties": array(STRING)},
                    "sort": {"enum": list(SORTS)},
                }
            ),
            "page": INTEGER,
            "per_page": INTEGER,
            "page_count": INTEGER,
            "total_hits": INTEGER,
            "total_pages": INTEGER,
            "total_presentations": INTEGER,
            "total_photos": INTEGER,
            "notice": NULLABLE_STRING,
            "suggestion": {"oneOf": [{"type": "null"}, closed({"q": STRING, "url": URI})]},
            "terms": array(STRING),
            "results": array(ref("ResultGroup")),
            "photos": array(ref("PhotoHit")),
            "corrected_from": {
                **NULLABLE_STRING,
                "description": "the text typed, when it found nothing and `q` is its correction",
            },
            "facets": closed(
                {name: array(facet_value) for name in FACETS},
                [name for name in FACETS if name not in FACETS_WITHIN_EVENT],
            ),
            "links": LINKS,
        }
    )


def schemas() -> dict:
    return {
        "Error": closed({"error": STRING, "code": STRING}),
        "Me": closed(
            {
                "id": INTEGER,
                "username": STRING,
                "display_name": STRING,
                "role": {"enum": list(ROLES)},
                "organisation": NULLABLE_STRING,
            }
        ),
        "Item": item_schema(),
        "ItemList": closed({"event": STRING, "items": array(ref("Item"))}),
        "UploadResult": closed(
            {
                "files": array(
                    closed(
                        {
                            "filename": STRING,
                            "outcome": {"enum": ["accepted", "duplicate", "rejected"]},
                            "item": ref("Item"),
                            "duplicate_of": ref("Item"),
                            "error": STRING,
                            "error_code": NULLABLE_STRING,
                        },
                        ["filename", "outcome"],
                    )
                )
            }
        ),
        "Event": closed(event_properties()),
        "EventDetail": closed(
            {
                **event_properties(),
                "presentations": array(ref("Item")),
                "photos": array(ref("Item")),
            }
        ),
        "EventList": closed(
            {
                "events": array(ref("Event")),
                "total": INTEGER,
                "page": INTEGER,
                "per_page": INTEGER,
                "page_count": INTEGER,
                "links": LINKS,
            }
        ),
        "PageHit": page_hit_schema(),
        "ResultGroup": closed(
            {
                "item_id": INTEGER,
                "title": STRING,
                "speakers": array(STRING),
                "event": closed({"id": INTEGER, "slug": STRING, "title": STRING, "url": URI}),
                "best_page": ref("PageHit"),
                "more_pages": array(ref("PageHit")),
                "more_count": INTEGER,
                "session": {**STRING, "description": "where the deck is in the programme"},
                "links": LINKS,
            }
        ),
        "PhotoHit": closed(
            {
                "item_id": INTEGER,
                "title": STRING,
                "event_id": INTEGER,
                "snippet": STRING,
                "session": STRING,
                "recognised": BOOLEAN,
                "thumbnail_url": URI,
                "image_url": URI,
                "links": LINKS,
            }
        ),
        "SearchResults": search_schema(),
        "Page": closed(
            {
                "item_id": INTEGER,
                "number": INTEGER,
                "label": NULLABLE_STRING,
                "page_count": INTEGER,
                "language": NULLABLE_STRING,
                "text": STRING,
                "highlighted": {"type": "string", "description": "HTML-escaped; <mark> only"},
                "links": LINKS,
            }
        ),
    }


ITEM_ID = param("item_id", "path", INTEGER)
SLUG = param("slug", "path", STRING, "The event's short name")
NUMBER = param("number", "path", {"type": "integer", "minimum": 1}, "Page number, from 1")
PAGE = param("page", "query", {"type": "integer", "minimum": 1})
IMAGES = ["image/webp", "image/jpeg", "image/png"]


def search_parameters() -> list[dict]:
    facets = [
        param(name, "query", array(STRING), f"Facet filter (repeatable): {name}", explode=True)
        for name in FACETS
    ]
    return [
        param("q", "query", STRING, "Query text, as in the search box (see its syntax help)"),
        *facets,
        param("sort", "query", {"enum": list(SORTS)}),
        PAGE,
        param("per_page", "query", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}),
    ]


def paths() -> dict:
    page_size = param("size", "path", {"enum": list(PAGE_FILES)})
    photo_size = param("size", "path", {"enum": list(PHOTO_FILES)})
    files = ["application/pdf", "image/jpeg", "image/png", "image/webp", "image/heic",
             "image/heif", "image/gif", "image/tiff"]  # fmt: skip
    return {
        "/me": {"get": operation("Who the credentials belong to", {"200": json_body("Me", "")})},
        "/search": {
            "get": operation(
                "Search, with the search page's parameters and permission rules",
                {"200": json_body("SearchResults", "One page of results")},
                search_parameters(),
            )
        },
        "/events": {
            "get": operation(
                "The events this user may see, newest first",
                {"200": json_body("EventList", "")},
                [PAGE, param("per_page", "query", {"type": "integer", "minimum": 1})],
            )
        },
        "/events/{slug}": {
            "get": operation(
                "One event with the items this user may see",
                {"200": json_body("EventDetail", "")},
                [SLUG],
            )
        },
        "/events/{slug}/items": {
            "get": operation("An event's items", {"200": json_body("ItemList", "")}, [SLUG]),
            "post": operation(
                "Upload files to an event (staff)",
                {
                    "200": json_body("UploadResult", "Nothing new (duplicates)"),
                    "202": json_body("UploadResult", "Accepted; processing follows"),
                    "400": json_body("Error", "No files, or a field that cannot be stored"),
                    "422": json_body("UploadResult", "Every file was rejected"),
                },
                [SLUG],
            ),
        },
        "/events/{slug}/presentations.zip": {
            "get": operation(
                "Every presentation of the event this user may download, as one ZIP",
                {"200": binary(["application/zip"], "Streamed ZIP")},
                [SLUG],
            )
        },
        "/items/{item_id}": {
            "get": operation("One item", {"200": json_body("Item", "")}, [ITEM_ID])
        },
        "/items/{item_id}/download": {
            "get": operation(
                "The original file (photos without GPS position for non-staff)",
                {
                    "200": binary(files, "Sent as an attachment named by its type"),
                    "409": json_body("Error", "The photo's location could not be removed"),
                },
                [ITEM_ID],
            )
        },
        "/items/{item_id}/pages/{number}": {
            "get": operation(
                "One page of a presentation: text, marked terms, images",
                {"200": json_body("Page", "")},
                [ITEM_ID, NUMBER, param("hl", "query", array(STRING), "Terms to mark")],
            )
        },
        "/items/{item_id}/pages/{number}/{size}": {
            "get": operation(
                "A page image", {"200": binary(IMAGES, "")}, [ITEM_ID, NUMBER, page_size]
            )
        },
        "/items/{item_id}/photo/{size}": {
            "get": operation("A photo image", {"200": binary(IMAGES, "")}, [ITEM_ID, photo_size])
        },
        "/openapi.json": {
            "get": operation(
                "This description",
                {"200": {"description": "", "content": {"application/json": {"schema": {}}}}},
            )
        },
    }


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Workshop Archive API",
            "version": __version__,
            "description": (
                "Search and download the materials of the events you may see. Authenticate "
                "with `Authorization: Bearer TOKEN` (a personal token from the profile page "
                'or `flask users token`). Errors are JSON: {"error": ..., "code": ...}; '
                "what you may not see answers 404, exactly like what does not exist."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}, {"sessionCookie": []}],
        "paths": paths() | openapi_sharing.paths(),
        "components": {
            "schemas": schemas() | openapi_sharing.schemas(),
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())
