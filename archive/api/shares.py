"""Share links API: make one, list one's own with their use, revoke one.

`POST /api/v1/shares` takes JSON (or form fields): `items` (ids), `recipient`, and
optionally `expires_on` (YYYY-MM-DD; default ARCHIVE_SHARE_DEFAULT_DAYS from today),
`password`, `max_downloads` and `message`. It answers 201 with the link's id and its URL,
which is shown this once: only a fingerprint of it is kept.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, current_app, jsonify, request, url_for
from flask_login import current_user
from sqlalchemy import select

from archive import audit, permissions, shares
from archive.api.blueprint import bp
from archive.errors import api_error
from archive.extensions import db
from archive.models import ShareLink
from archive.models.common import utcnow
from archive.shares import LinkRequest, ShareError


def require_sharing() -> None:
    if not permissions.may_share(current_user):
        abort(403)


@bp.post("/shares")
def create_share():
    require_sharing()
    data = request.get_json(silent=True) if request.is_json else request.form
    if not isinstance(data, dict) and not hasattr(data, "getlist"):
        return api_error("send a JSON object or form fields", 400)
    try:
        made = shares.create_link(
            current_user._get_current_object(),
            link_request(data),
            max_days=current_app.config["SHARE_MAX_DAYS"],
            max_items=current_app.config["SHARE_MAX_ITEMS"],
        )
    except ShareError as exc:
        db.session.rollback()
        return api_error(str(exc), 400)
    ids = ", ".join(str(item.id) for item in made.link.items)
    summary = f"for {made.link.recipient} (until {made.link.last_day}): items {ids}"
    audit.record(current_user, "share.create", made.link, summary[:2000], ip=request.remote_addr)
    db.session.commit()
    body = share_json(made.link) | {"url": url_for("shared.page", token=made.token, _external=True)}
    return jsonify(body), 201


def link_request(data) -> LinkRequest:
    """The request's fields as a `LinkRequest`; a malformed field is a `ShareError`."""
    items = data.getlist("items") if hasattr(data, "getlist") else data.get("items", [])
    if not isinstance(items, list):
        raise ShareError("items is a list of item ids")
    try:
        item_ids = tuple(int(i) for i in items)
    except (TypeError, ValueError):
        raise ShareError("items is a list of item ids") from None
    default = utcnow().date() + timedelta(days=current_app.config["SHARE_DEFAULT_DAYS"])
    try:
        expires_on = date.fromisoformat(data.get("expires_on") or default.isoformat())
    except (TypeError, ValueError):
        raise ShareError("expires_on is a date (YYYY-MM-DD)") from None
    limit = data.get("max_downloads")
    if limit in (None, ""):
        limit = None
    elif not str(limit).isdigit():
        raise ShareError("max_downloads is a whole number")
    return LinkRequest(
        item_ids=item_ids,
        recipient=str(data.get("recipient") or ""),
        expires_on=expires_on,
        password=str(data.get("password") or ""),
        max_downloads=int(limit) if limit is not None else None,
        message=str(data.get("message") or ""),
    )


@bp.get("/shares")
def list_shares():
    require_sharing()
    links = db.session.scalars(
        select(ShareLink)
        .where(ShareLink.owner_id == current_user.id)
        .order_by(ShareLink.created_at.desc(), ShareLink.id.desc())
    )
    return jsonify(shares=[share_json(link) for link in links])


@bp.delete("/shares/<int:share_id>")
def revoke_share(share_id: int):
    """Revoke at once; someone else's link is not found (admins may revoke any)."""
    require_sharing()
    link = db.session.get(ShareLink, share_id)
    if link is None or not permissions.may_manage_link(current_user, link):
        abort(404)
    if shares.revoke(link, current_user._get_current_object()):
        summary = f"for {link.recipient}"
        audit.record(current_user, "share.revoke", link, summary, ip=request.remote_addr)
        db.session.commit()
    return jsonify(share_json(link))


def share_json(link: ShareLink) -> dict:
    return {
        "id": link.id,
        "recipient": link.recipient,
        "items": [item.id for item in link.items],
        "created_at": link.created_at.isoformat() + "Z",
        "expires_on": link.last_day.isoformat(),
        "state": link.state(utcnow()),
        "password": link.has_password,
        "max_downloads": link.max_downloads,
        "downloads": link.downloads,
        "visits": link.visits,
        "last_used_at": link.last_used_at.isoformat() + "Z" if link.last_used_at else None,
        "revoked_at": link.revoked_at.isoformat() + "Z" if link.revoked_at else None,
    }
