"""Versions of an item (staff): the list, uploading a corrected file, viewing and downloading
an earlier version, and making one current again.

A new version is processed by the queue like any upload and becomes current when ready; the
item keeps its id, so every link to it keeps working. Researchers and partners only ever see
the current version (these pages are staff's, through `permissions.may_manage_versions`).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user

from archive import audit, ingest, permissions, sending, tasks
from archive.extensions import db
from archive.guards import load_or_404, require_login
from archive.ingest import VersionError
from archive.models import Item, ItemKind, ItemVersion
from archive.services import current_storage
from archive.storage import PAGE_FILES, PHOTO_FILES, mime_of_derived, page_file, photo_file
from archive.web.forms import RestoreVersionForm, VersionUploadForm, form_status, sentence

bp = Blueprint("versions", __name__, url_prefix="/items")
bp.before_request(require_login)


def load_item(item_id: int) -> Item:
    """The item, or 404; 403 for anyone who may not manage its versions."""
    return load_or_404(Item, item_id, permissions.may_manage_versions)


def load_version(item_id: int, number: int) -> ItemVersion:
    item = load_item(item_id)
    version = next((v for v in item.versions if v.number == number), None)
    if version is None:
        abort(404)
    return version


@bp.get("/<int:item_id>/versions")
def index(item_id: int):
    return render_index(load_item(item_id), VersionUploadForm(formdata=None))


def render_index(item: Item, form: VersionUploadForm, status: int = 200):
    return render_template(
        "versions/index.html",
        item=item,
        versions=list(reversed(item.versions)),
        form=form,
        restore_form=RestoreVersionForm(formdata=None),
        max_mb=current_app.config["MAX_UPLOAD_MB"],
    ), status


@bp.post("/<int:item_id>/versions")
def upload(item_id: int):
    """A corrected file: queued as the next version; the current one stays until it is ready."""
    item = load_item(item_id)
    form = VersionUploadForm()
    if not form.validate_on_submit():
        return render_index(item, form, form_status())
    outcome = ingest.accept_version(
        current_storage(),
        form.file.data.stream,
        form.file.data.filename,
        item,
        current_user._get_current_object(),
        form.note.data or "",
        max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
    )
    if outcome.version is None:
        db.session.rollback()
        form.file.errors = [sentence(outcome.error)]
        return render_index(item, form, 400 if outcome.error_code != "duplicate" else 409)
    ingest.audit_upload(current_user, outcome.version, request.remote_addr)
    db.session.commit()
    tasks.enqueue_version_processing(outcome.version.id)
    flash(
        gettext(
            "Version %(new)s uploaded. It replaces version %(current)s as soon as it is "
            "processed; until then everyone sees the current version.",
            new=outcome.version.number,
            current=item.version_number,
        ),
        "success",
    )
    return redirect(url_for("versions.index", item_id=item.id))


@bp.post("/<int:item_id>/versions/<int:number>/restore")
def restore(item_id: int, number: int):
    """Make an earlier version current again (as a new version, processed like an upload)."""
    version = load_version(item_id, number)
    item = version.item
    form = RestoreVersionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        copy = ingest.restore_version(item, number, current_user._get_current_object())
    except VersionError as exc:
        db.session.rollback()
        flash(sentence(exc), "error")
        return redirect(url_for("versions.index", item_id=item.id))
    summary = f"version {copy.number} made from version {number} ({version.original_filename})"
    audit.record(current_user, "item.version.restore", item, summary, ip=request.remote_addr)
    db.session.commit()
    tasks.enqueue_version_processing(copy.id)
    flash(
        gettext(
            "Version %(number)s will be current again (as version %(copy)s) once processed.",
            number=number,
            copy=copy.number,
        ),
        "success",
    )
    return redirect(url_for("versions.index", item_id=item.id))


@bp.get("/<int:item_id>/versions/<int:number>/")
def view(item_id: int, number: int):
    """An earlier version as it was shown: its pages (decks) or its image (photos)."""
    version = load_version(item_id, number)
    item = version.item
    if version.is_current:
        return redirect(url_for("items.view", item_id=item.id))
    names = current_storage().version_derived_names(item.id, number) or set()
    pages = sorted(
        n for n in range(1, (version.page_count or 0) + 1) if page_file(n, "thumb") in names
    )
    wanted = request.args.get("page", 1, type=int)
    page = wanted if wanted in pages else (pages[0] if pages else None)
    return render_template(
        "versions/view.html",
        item=item,
        version=version,
        pages=pages,
        page=page,
        has_photo=photo_file("lightbox") in names,
        restore_form=RestoreVersionForm(formdata=None),
    )


@bp.get("/<int:item_id>/versions/<int:number>/download")
def download(item_id: int, number: int):
    version = load_version(item_id, number)
    if not current_storage().has_original(version.sha256):
        abort(404)
    summary = f"version {number}: {version.original_filename}"
    audit.record(
        current_user, "item.version.download", version.item, summary, ip=request.remote_addr
    )
    db.session.commit()
    return sending.send_version_original(version)


@bp.get("/<int:item_id>/versions/<int:number>/pages/<int:page>/<size>")
def page_image(item_id: int, number: int, page: int, size: str):
    version = load_version(item_id, number)
    if size not in PAGE_FILES or version.item.kind != ItemKind.PRESENTATION:
        abort(404)
    return send_version_file(version, page_file(page, size))


@bp.get("/<int:item_id>/versions/<int:number>/photo/<size>")
def photo_image(item_id: int, number: int, size: str):
    version = load_version(item_id, number)
    if size not in PHOTO_FILES or version.item.kind != ItemKind.PHOTO:
        abort(404)
    return send_version_file(version, photo_file(size))


def send_version_file(version: ItemVersion, name: str):
    path = current_storage().version_derived_file(version.item_id, version.number, name)
    if path is None:
        abort(404)
    response = send_file(path, mimetype=mime_of_derived(name), max_age=sending.IMAGE_MAX_AGE)
    response.headers["Cache-Control"] = f"private, max-age={sending.IMAGE_MAX_AGE}"
    return response
