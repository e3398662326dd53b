"""The OpenAPI description of the versions and share-link routes (`archive.api.versions`,
`archive.api.shares`), merged into the document by `archive.api.openapi`."""

from __future__ import annotations

from archive.api.schema import (
    BOOLEAN,
    INTEGER,
    LINKS,
    NULLABLE_INTEGER,
    NULLABLE_STRING,
    STRING,
    array,
    closed,
    json_body,
    operation,
    param,
    ref,
)
from archive.models import STATES
from archive.models.shares import LINK_STATES

DATE = {"type": "string", "format": "date"}
TIMESTAMP = {"type": "string", "format": "date-time"}
NULLABLE_TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}
FORBIDDEN = {"403": json_body("Error", "This account may not share (researchers; partners "
                                       "whose organisation may not)")}  # fmt: skip


def schemas() -> dict:
    return {
        "Version": closed(
            {
                "number": INTEGER,
                "current": BOOLEAN,
                "state": {"enum": list(STATES)},
                "error": NULLABLE_STRING,
                "error_code": NULLABLE_STRING,
                "original_filename": STRING,
                "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                "size": INTEGER,
                "mime": STRING,
                "note": STRING,
                "restored_from": {**NULLABLE_INTEGER, "description": "made current again"},
                "uploaded_by": NULLABLE_STRING,
                "uploaded_at": TIMESTAMP,
                "replaced_at": NULLABLE_TIMESTAMP,
                "page_count": NULLABLE_INTEGER,
                "links": LINKS,
            }
        ),
        "VersionUpload": closed({"version": ref("Version"), "item": ref("Item")}),
        "VersionList": closed(
            {"item": INTEGER, "current": INTEGER, "versions": array(ref("Version"))}
        ),
        "Share": closed(share_properties()),
        "NewShare": closed(
            share_properties()
            | {"url": {"type": "string", "format": "uri", "description": "shown this once"}}
        ),
        "ShareList": closed({"shares": array(ref("Share"))}),
    }


def share_properties() -> dict:
    return {
        "id": INTEGER,
        "recipient": STRING,
        "items": array(INTEGER),
        "created_at": TIMESTAMP,
        "expires_on": {**DATE, "description": "the last day the link works"},
        "state": {"enum": list(LINK_STATES)},
        "password": {**BOOLEAN, "description": "whether the link asks for a password"},
        "max_downloads": NULLABLE_INTEGER,
        "downloads": INTEGER,
        "visits": INTEGER,
        "last_used_at": NULLABLE_TIMESTAMP,
        "revoked_at": NULLABLE_TIMESTAMP,
    }


def share_request() -> dict:
    body = {
        "type": "object",
        "properties": {
            "items": array(INTEGER),
            "recipient": {**STRING, "maxLength": 200},
            "expires_on": {**DATE, "description": "default: ARCHIVE_SHARE_DEFAULT_DAYS ahead"},
            "password": STRING,
            "max_downloads": {"type": ["integer", "null"], "minimum": 1},
            "message": STRING,
        },
        "required": ["items", "recipient"],
    }
    return {"required": True, "content": {"application/json": {"schema": body}}}


def version_request() -> dict:
    body = {
        "type": "object",
        "properties": {"file": {"contentMediaType": "application/octet-stream"}, "note": STRING},
        "required": ["file"],
    }
    return {"required": True, "content": {"multipart/form-data": {"schema": body}}}


def paths() -> dict:
    item_id = param("item_id", "path", INTEGER)
    share_id = param("share_id", "path", INTEGER)
    refusals = {
        "400": json_body("Error", "Not exactly one file"),
        "409": json_body("Error", "The file is already this item's or another item's"),
        "413": json_body("Error", "The file is larger than the upload limit"),
        "422": json_body("Error", "Not a file of the item's kind, or unreadable"),
    }
    return {
        "/items/{item_id}/versions": {
            "get": operation(
                "Every version of an item, the current one marked (staff)",
                {"200": json_body("VersionList", "")},
                [item_id],
            ),
            "post": operation(
                "Upload a corrected file as the item's next version (staff); it becomes "
                "current when processed, and the old one is searched until then",
                {"202": json_body("VersionUpload", "Accepted; processing follows")} | refusals,
                [item_id],
            )
            | {"requestBody": version_request()},
        },
        "/shares": {
            "get": operation(
                "The caller's share links with their use",
                {"200": json_body("ShareList", "")} | FORBIDDEN,
            ),
            "post": operation(
                "Make a share link for a recipient without an account",
                {
                    "201": json_body("NewShare", "The link, with its URL (shown this once)"),
                    "400": json_body("Error", "A field is missing or not allowed"),
                }
                | FORBIDDEN,
            )
            | {"requestBody": share_request()},
        },
        "/shares/{share_id}": {
            "delete": operation(
                "Revoke a link at once (its owner, or an admin)",
                {"200": json_body("Share", "The revoked link")} | FORBIDDEN,
                [share_id],
            )
        },
    }
