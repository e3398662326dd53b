"""Partner bundles: tick decks and photos across the events an organisation is granted and
download them as one ZIP with an index (see `archive.web.bundling`).

Partners bundle what their organisation sees; staff pick an organisation and bundle what
its partners see, to send on. Photos go without their GPS position.
"""

from __future__ import annotations

import re
from itertools import groupby

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from archive import audit, permissions
from archive.extensions import db
from archive.guards import require_login
from archive.models import Event, Item, Organisation
from archive.web.bundling import build_bundle, load_items, zip_response
from archive.web.forms import BundleForm, form_status

bp = Blueprint("bundles", __name__, url_prefix="/bundles")
bp.before_request(require_login)


@bp.before_request
def require_bundles():
    if current_user.is_authenticated and not permissions.may_make_bundles(current_user):
        abort(403)


@bp.app_context_processor
def bundle_flags() -> dict:
    """Lets `base.html` offer bundles to partners and staff."""
    return {"may_bundle": permissions.may_make_bundles(current_user)}


@bp.get("/")
def index():
    org = chosen_organisation(request.args.get("org"))
    return render_index(org, BundleForm(formdata=None))


@bp.post("/")
def download():
    """Stream the ticked items as a ZIP; only items the organisation sees can be ticked."""
    form = BundleForm()
    org = chosen_organisation(form.org.data)
    if org is None:
        abort(400)
    form.items.choices = [SelectChoice(item.id) for item in candidates(org)]
    if not form.validate_on_submit():
        return render_index(org, form, form_status())
    limit = current_app.config["BUNDLE_MAX_ITEMS"]
    if len(form.items.data) > limit:
        form.items.errors = [
            gettext("A bundle holds at most %(num)d items; tick fewer.", num=limit)
        ]
        return render_index(org, form, 400)
    bundle = build_bundle(
        load_items(form.items.data), gettext("Materials for %(name)s", name=org.name), org.name
    )
    ids = ", ".join(str(entry.item.id) for entry in bundle.entries)
    summary = f"{len(bundle.included)} file(s) for {org.name}: items {ids}"
    audit.record(current_user, "bundle.download", org, summary[:2000], ip=request.remote_addr)
    db.session.commit()
    name = re.sub(r"[^a-z0-9]+", "-", org.name.lower()).strip("-")[:60] or "partner"
    return zip_response(bundle, f"{name}-bundle-{bundle.made_at:%Y-%m-%d}.zip")


def chosen_organisation(org_id: str | None) -> Organisation | None:
    """A partner's own organisation; for staff, the one they chose (None: not chosen yet)."""
    if not permissions.is_staff(current_user):
        return current_user.organisation
    if not org_id:
        return None
    if not org_id.isdigit() or (org := db.session.get(Organisation, int(org_id))) is None:
        abort(404)
    return org


def candidates(org: Organisation) -> list[Item]:
    """What the organisation's partners see (for a partner: exactly what they see)."""
    visible = (
        permissions.item_filter(current_user)
        if not permissions.is_staff(current_user)
        else permissions.organisation_item_filter(org)
    )
    query = (
        select(Item)
        .join(Item.event)
        .where(visible)
        .options(selectinload(Item.event))
        .order_by(Event.start_date.desc().nulls_last(), Event.id, Item.kind.desc(), Item.id)
    )
    return list(db.session.scalars(query))


def render_index(org: Organisation | None, form: BundleForm, status: int = 200):
    items = candidates(org) if org is not None else []
    by_event = [(event, list(group)) for event, group in groupby(items, key=lambda i: i.event)]
    orgs = []
    if permissions.is_staff(current_user):
        orgs = db.session.scalars(select(Organisation).order_by(func.lower(Organisation.name)))
    return render_template(
        "bundles/index.html",
        org=org,
        orgs=list(orgs),
        by_event=by_event,
        form=form,
        selected=set(form.items.data or []),
        max_items=current_app.config["BUNDLE_MAX_ITEMS"],
    ), status
