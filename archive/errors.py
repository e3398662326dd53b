"""Error pages in the site's style, and JSON errors for the API."""

from __future__ import annotations

import logging
import time

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from archive import permissions
from archive.fulltext import IndexCorruptError, SchemaVersionError

logger = logging.getLogger(__name__)

DRAIN_CHUNK = 256 * 1024

# Machine-readable codes of API errors, by status: {"error": "<sentence>", "code": "<code>"}.
API_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "too_many_requests",
    500: "internal_error",
}

TITLES = {
    400: lazy_gettext("Bad request"),
    401: lazy_gettext("Sign-in needed"),
    403: lazy_gettext("Not allowed"),
    404: lazy_gettext("Page not found"),
    405: lazy_gettext("Not allowed here"),
    413: lazy_gettext("File too large"),
    429: lazy_gettext("Too many attempts"),
    500: lazy_gettext("Server error"),
    503: lazy_gettext("Search unavailable"),
}
REBUILD_NEEDED = lazy_gettext(
    "Search is unavailable until the search index is rebuilt for this version of the "
    "archive. An administrator runs `flask --app archive reindex` (the archive itself is "
    "unaffected)."
)


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(SchemaVersionError, handle_index_needs_rebuild)
    app.register_error_handler(IndexCorruptError, handle_index_needs_rebuild)
    app.register_error_handler(Exception, handle_unexpected)


def handle_http_error(exc: HTTPException):
    code = exc.code or 500
    if code == 413:
        drain_request_body()
    message = describe(exc)
    if request.path.startswith("/api/"):
        return api_error(message, code)
    return render_page(code, message)


def api_error(message: str, status: int, code: str | None = None):
    """The API's error body: a sentence for people and a stable code for programs."""
    response = jsonify(error=message, code=code or API_CODES.get(status, f"http_{status}"))
    response.status_code = status
    return response


def drain_request_body(max_seconds: float = 30.0) -> None:
    """Read and discard the rest of a refused upload before answering.

    A server that answers while the client is still sending, and then closes, makes the
    client's TCP stack see a reset: the browser shows "connection reset" instead of our
    413 page. Reading the body (bounded in time) lets the answer arrive.
    """
    stream = request.environ.get("wsgi.input")
    if stream is None:
        return
    remaining = request.content_length
    deadline = time.monotonic() + max_seconds
    try:
        while time.monotonic() < deadline and (remaining is None or remaining > 0):
            chunk = stream.read(min(DRAIN_CHUNK, remaining or DRAIN_CHUNK))
            if not chunk:
                break
            if remaining is not None:
                remaining -= len(chunk)
    except (OSError, ValueError):
        pass  # the client went away; nothing to answer


def describe(exc: HTTPException) -> str:
    """A sentence for the person; Werkzeug's own texts (English, technical) are never shown."""
    if isinstance(exc, CSRFError):
        return gettext(
            "The form expired or was sent from another site. Reload the page and try again."
        )
    if exc.code == 413:
        return gettext(
            "The upload is larger than the limit of %(mb)s MB.",
            mb=current_app.config["MAX_UPLOAD_MB"],
        )
    if exc.code == 404:
        return not_found_message()
    if exc.description and exc.description != type(exc).description:
        return exc.description  # our own words, given to abort()
    return GENERIC.get(exc.code, GENERIC[500])()


def not_found_message() -> str:
    """One text for "does not exist" and "not shared with you": the two are never told
    apart. A partner reads which organisation the archive shares with."""
    organisation = getattr(current_user, "organisation", None)
    if permissions.is_partner(current_user) and organisation is not None:
        return gettext(
            "This page does not exist or has not been shared with %(organisation)s.",
            organisation=organisation.name,
        )
    return gettext("This page does not exist, or you may not see it.")


GENERIC = {
    400: lambda: gettext("The request could not be understood. Go back and try again."),
    403: lambda: gettext("Your account may not open this page."),
    405: lambda: gettext("This page cannot be used this way. Go back and try again."),
    500: lambda: gettext("Something went wrong on our side. It has been logged."),
}


def handle_index_needs_rebuild(exc: Exception):
    """An index from another schema version, or a damaged one: say what fixes it (503)."""
    logger.error("search index unusable on %s: %s", request.path, exc)
    if request.path.startswith("/api/"):
        return jsonify(error=str(REBUILD_NEEDED)), 503
    return render_page(503, REBUILD_NEEDED)


def handle_unexpected(exc: Exception):
    logger.exception("unhandled error on %s %s", request.method, request.path)
    if request.path.startswith("/api/"):
        return api_error("internal error; it has been logged", 500)
    return render_page(500, GENERIC[500]())


def render_page(code: int, message: str):
    title = TITLES.get(code, lazy_gettext("Error"))
    contact = current_app.config["CONTACT"]
    return render_template(
        "errors/error.html", code=code, title=title, message=message, contact=contact
    ), code
