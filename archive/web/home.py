"""The home page: the search box, recent events and, for staff, unfinished items."""

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
    events = db.session.scalars(
        select(Event)
        .where(permissions.event_filter(current_user))
        .order_by(Event.start_date.desc().nulls_last(), Event.id.desc())
        .limit(6)
    ).all()
    unfinished = []
    if permissions.is_staff(current_user):
        unfinished = db.session.scalars(
            select(Item)
            .where(Item.status.in_((ItemState.QUEUED, ItemState.PROCESSING, ItemState.FAILED)))
            .order_by(Item.updated_at.desc())
            .limit(20)
        ).all()
    return render_template("web/home.html", events=events, unfinished=unfinished)
