"""Versions API (staff): upload a corrected file for an item, list an item's versions.

`POST /api/v1/items/<id>/versions` (multipart field `file`, optional `note`) answers 202
with the queued version at once; `GET /api/v1/items/<id>` shows when it became current.
A refused file answers {"error": ..., "code": ...} with the refusal's code ("duplicate",
"wrong-kind", "unsupported-type", "too-large"...).
"""

from __future__ import annotations

from flask import current_app, jsonify, request, url_for
from flask_login import current_user

from archive import ingest, permissions, tasks
from archive.api.blueprint import bp
from archive.api.items import item_json
from archive.errors import api_error
from archive.extensions import db
from archive.guards import load_or_404
from archive.models import Item, ItemVersion
from archive.services import current_storage

REFUSAL_STATUS = {"duplicate": 409, "too-large": 413}


@bp.post("/items/<int:item_id>/versions")
def upload_version(item_id: int):
    item = load_or_404(Item, item_id, permissions.may_manage_versions)
    files = request.files.getlist("file") + request.files.getlist("files")
    if len(files) != 1:
        return api_error("send exactly one file as multipart field 'file'", 400)
    outcome = ingest.accept_version(
        current_storage(),
        files[0].stream,
        files[0].filename,
        item,
        current_user._get_current_object(),
        request.form.get("note", ""),
        max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
    )
    if outcome.version is None:
        db.session.rollback()
        status = REFUSAL_STATUS.get(outcome.error_code or "", 422)
        return api_error(outcome.error or "the file was refused", status, outcome.error_code)
    ingest.audit_upload(current_user, outcome.version, request.remote_addr)
    db.session.commit()
    version_id = outcome.version.id
    tasks.enqueue_version_processing(version_id)
    db.session.expire_all()
    version = db.session.get(ItemVersion, version_id)
    return jsonify(version=version_json(version), item=item_json(version.item)), 202


@bp.get("/items/<int:item_id>/versions")
def list_versions(item_id: int):
    item = load_or_404(Item, item_id, permissions.may_manage_versions)
    return jsonify(
        item=item.id,
        current=item.version_number,
        versions=[version_json(v) for v in item.versions],
    )


def version_json(version: ItemVersion) -> dict:
    return {
        "number": version.number,
        "current": version.is_current,
        "state": version.status,
        "error": version.error,
        "error_code": version.error_code,
        "original_filename": version.original_filename,
        "sha256": version.sha256,
        "size": version.size,
        "mime": version.mime,
        "note": version.note,
        "restored_from": version.restored_from,
        "uploaded_by": version.uploaded_by.username if version.uploaded_by else None,
        "uploaded_at": version.created_at.isoformat() + "Z",
        "replaced_at": version.replaced_at.isoformat() + "Z" if version.replaced_at else None,
        "page_count": version.page_count,
        "links": {
            "download": url_for(
                "versions.download",
                item_id=version.item_id,
                number=version.number,
                _external=True,
            ),
        },
    }
