"""The home page: the search box, recent events and, for staff, unfinished items; a partner
reads which organisation they belong to and every event shared with it."""

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select

from archive import permissions
from archive.extensions import db
from archive.guards import require_login
from archive.models import Event, Item, ItemState

bp = Blueprint("web", __name__)
bp.before_request(require_login)


@bp.get("/")
def home():
    partner = permissions.is_partner(current_user)
    events = db.session.scalars(
        select(Event)
        .where(permissions.event_filter(current_user))
        .order_by(Event.start_date.desc().nulls_last(), Event.id.desc())
        .limit(None if partner else 6)
    ).all()
    unfinished = []
    if permissions.is_staff(current_user):
        unfinished = db.session.scalars(
            select(Item)
            .where(Item.status.in_((ItemState.QUEUED, ItemState.PROCESSING, ItemState.FAILED)))
            .order_by(Item.updated_at.desc())
            .limit(20)
        ).all()
    organisation = current_user.organisation if partner else None
    return render_template(
        "web/home.html",
        events=events,
        unfinished=unfinished,
        partner=partner,
        organisation=organisation,
    )
