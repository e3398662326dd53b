"""Share links, the owner's side: choose items (from an event page or search results), make
a link for a named recipient, see one's links with their use, revoke one.

Staff may share anything that is processed and not staff-only; partners what they see,
when an admin allows it for their organisation (`permissions.may_share`). What the link
opens is `archive.web.shared`.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from archive import audit, permissions, shares
from archive.auth.forms import EmptyForm
from archive.extensions import db
from archive.guards import require_login
from archive.models import Item, ShareLink
from archive.models.common import utcnow
from archive.shares import LinkRequest, ShareError
from archive.web.forms import ShareLinkForm, form_status, sentence

bp = Blueprint("shares", __name__, url_prefix="/shares")
bp.before_request(require_login)


@bp.before_request
def require_sharing():
    """Every page here is for those who may share (researchers, and partners whose
    organisation is not allowed to, get 403)."""
    if current_user.is_authenticated and not permissions.may_share(current_user):
        abort(403)


@bp.app_context_processor
def share_flags() -> dict:
    """Lets `base.html`, event pages and search results offer sharing to those who may."""
    return {"may_share": permissions.may_share(current_user)}


@bp.get("/new")
def new():
    """The form for a link, with the items chosen on an event page or in search results."""
    wanted = request.args.getlist("items", type=int)
    form = ShareLinkForm(formdata=None)
    form.expires_on.data = utcnow().date() + timedelta(days=config("SHARE_DEFAULT_DAYS"))
    form.items.data = wanted
    return render_new(form, wanted)


@bp.post("/")
def create():
    form = ShareLinkForm()
    form.items.choices = choices(shareable(request.form.getlist("items", type=int)))
    if not form.validate_on_submit():
        return render_new(form, form.items.data or [], form_status())
    try:
        made = shares.create_link(
            current_user._get_current_object(),
            LinkRequest(
                item_ids=tuple(form.items.data),
                recipient=form.recipient.data or "",
                expires_on=form.expires_on.data,
                password=form.password.data or "",
                max_downloads=form.max_downloads.data,
                message=(form.message.data or "").replace("\r\n", "\n"),
            ),
            max_days=config("SHARE_MAX_DAYS"),
            max_items=config("SHARE_MAX_ITEMS"),
        )
    except ShareError as exc:
        db.session.rollback()
        form.form_errors.append(sentence(exc))
        return render_new(form, form.items.data, 400)
    audit_creation(made.link)
    db.session.commit()
    url = url_for("shared.page", token=made.token, _external=True)
    return render_template("shares/created.html", link=made.link, url=url), 201


def audit_creation(link: ShareLink) -> None:
    ids = ", ".join(str(item.id) for item in link.items)
    extras = [f"until {link.last_day}"]
    if link.has_password:
        extras.append("password")
    if link.max_downloads:
        extras.append(f"at most {link.max_downloads} downloads")
    summary = f"for {link.recipient} ({'; '.join(extras)}): items {ids}"
    audit.record(current_user, "share.create", link, summary[:2000], ip=request.remote_addr)


def render_new(form: ShareLinkForm, wanted: list[int], status: int = 200):
    """The form with the wanted items that may be shared as choices (the others named)."""
    items = shareable(wanted)
    form.items.choices = choices(items)
    max_days = config("SHARE_MAX_DAYS")
    last = utcnow().date() + timedelta(days=max_days)
    form.expires_on.description = f"At most {max_days} days from today (until {last}), UTC."
    refused = len(set(wanted) - {item.id for item in items})
    return render_template("shares/new.html", form=form, items=items, refused=refused), status


def choices(items: list[Item]) -> list[SelectChoice]:
    return [SelectChoice(item.id, item.display_title) for item in items]


def shareable(item_ids: list[int]) -> list[Item]:
    if not item_ids:
        return []
    query = select(Item).where(Item.id.in_(item_ids), permissions.shareable_filter(current_user))
    return sorted(db.session.scalars(query), key=lambda i: (i.kind, i.display_title.lower()))


@bp.get("/")
def index():
    """The links this user made (admins: everyone's), with how they were used."""
    return render_template(
        "shares/index.html",
        links=shares.links_of(current_user),
        now=utcnow(),
        revoke_form=EmptyForm(),
        show_owner=permissions.is_admin(current_user),
    )


@bp.post("/<int:link_id>/revoke")
def revoke(link_id: int):
    """End a link at once; a link of someone else is not found (admins excepted)."""
    link = db.session.get(ShareLink, link_id)
    if link is None or not permissions.may_manage_link(current_user, link):
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if shares.revoke(link, current_user._get_current_object()):
        summary = f"for {link.recipient}"
        audit.record(current_user, "share.revoke", link, summary, ip=request.remote_addr)
        db.session.commit()
        flash(
            gettext("The link for %(recipient)s no longer works.", recipient=link.recipient),
            "success",
        )
    return redirect(url_for("shares.index"))


def config(name: str):
    return current_app.config[name]
