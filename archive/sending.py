"""Sending files to the browser or an API client: originals, derived images, an event's ZIP.

The page blueprints and the API send the same files in the same way, so both call these
after loading the object and checking access. Originals always go as attachments under
their download name and type decided by content; photos reach non-staff users without
their GPS position; each download of an original is recorded (`archive.downloads`).
"""

from __future__ import annotations

import logging
from functools import partial
from typing import BinaryIO

from flask import Response, abort, request, send_file, stream_with_context
from flask_babel import gettext
from flask_login import current_user

from archive import downloads
from archive.guards import refuse
from archive.ingest.photos import LocationNotRemoved
from archive.models import Event, Item, ItemVersion
from archive.services import current_storage
from archive.storage import mime_of_derived
from archive.zipstream import ZipMember, stream_zip

logger = logging.getLogger(__name__)

IMAGE_MAX_AGE = 3600
PRIVATE = "private, no-cache"


def send_original(item: Item) -> Response:
    """The item's original as an attachment; recorded when its bytes are really sent."""
    storage = current_storage()
    if not storage.has_original(item.sha256):
        abort(404)
    user = current_user._get_current_object()
    if downloads.strips_location(user, item):
        source, etag = photo_without_location(item), f"{item.sha256}-public"
    else:
        source, etag = storage.open_original(item.sha256), item.sha256
    response = send_file(
        source,
        mimetype=item.mime,
        as_attachment=True,
        download_name=downloads.download_name(item.original_filename, item.mime),
        etag=etag,
        conditional=True,
        max_age=0,
    )
    response.headers["Cache-Control"] = PRIVATE
    if response.status_code == 200 and response.content_length is None:
        response.content_length = item.size  # the copy has the original's length
    if sends_whole_file(response):
        downloads.record_download(user, [item], request.endpoint, request.remote_addr)
    return response


def send_version_original(version: ItemVersion) -> Response:
    """An earlier version's original, to staff only (as stored: staff get positions too);
    the view records the download as a version download."""
    if not current_storage().has_original(version.sha256):
        abort(404)
    response = send_file(
        current_storage().open_original(version.sha256),
        mimetype=version.mime,
        as_attachment=True,
        download_name=downloads.download_name(version.original_filename, version.mime),
        etag=version.sha256,
        conditional=True,
        max_age=0,
    )
    response.headers["Cache-Control"] = PRIVATE
    return response


def photo_without_location(item: Item) -> BinaryIO:
    """The GPS-free copy, or a refusal that says why (never the original with a position)."""
    try:
        return downloads.photo_without_location(item)
    except LocationNotRemoved as exc:
        logger.warning("item %d: location not removable (%s); download refused", item.id, exc)
        refuse(
            409,
            f"photo {item.id} with unremovable location",
            "This photo's location data could not be removed, so it cannot be downloaded. "
            "Ask the archive's staff for a copy.",
        )


def sends_whole_file(response: Response) -> bool:
    """A GET answered with the file from its first byte (not HEAD, not 304, not a range that
    resumes a download), so that a viewer fetching ranges counts once."""
    if request.method != "GET":
        return False
    if response.status_code == 200:
        return True
    return (
        response.status_code == 206
        and (request.range is not None)
        and any(start == 0 for start, _ in request.range.ranges)
    )


def send_derived(item: Item, name: str) -> Response:
    """A thumbnail or page image we wrote ourselves (not a download: not recorded)."""
    path = current_storage().derived_file(item.id, name)
    if path is None:
        abort(404)
    response = send_file(
        path, mimetype=mime_of_derived(name), conditional=True, max_age=IMAGE_MAX_AGE
    )
    response.headers["Cache-Control"] = f"private, max-age={IMAGE_MAX_AGE}"
    return response


def send_event_zip(event: Event, sort: str = "title") -> Response:
    """Every deck of the event this user may download, as one ZIP streamed while written, in
    the event page's order for `sort`."""
    storage = current_storage()
    user = current_user._get_current_object()
    decks = [
        d for d in downloads.downloadable_decks(user, event, sort) if storage.has_original(d.sha256)
    ]
    if not decks:
        abort(404, gettext("This event has no presentations you may download."))
    members = [
        ZipMember(name, partial(storage.open_original, d.sha256), d.size, d.created_at)
        for name, d in zip(downloads.zip_member_names(decks), decks, strict=True)
    ]
    if request.method == "GET":
        downloads.record_download(user, decks, request.endpoint, request.remote_addr, True)
    response = Response(stream_with_context(stream_zip(members)), mimetype="application/zip")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{event.slug}-presentations.zip"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
