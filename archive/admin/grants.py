"""Partner organisations and their grants: which events each organisation's members see."""

from __future__ import annotations

from collections import defaultdict

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import SelectChoice

from archive import accounts, audit, tasks
from archive.accounts import AccountError
from archive.admin.blueprint import bp
from archive.admin.forms import (
    GrantEventForm,
    GrantOrganisationForm,
    OrganisationForm,
    RevokeForm,
    SharingForm,
)
from archive.extensions import db
from archive.models import Event, Grant, Organisation, User
from archive.web.forms import form_status, sentence

EVENT_ORDER = (Event.start_date.desc().nulls_last(), Event.title)


def notify_grants_changed(event: Event) -> None:
    """Refresh the event's search documents (they carry its granted organisations).
    Revocations take effect at once anyway: partner searches filter by granted events."""
    tasks.enqueue_event_reindex(event.id)


@bp.route("/organisations/", methods=["GET", "POST"])
def organisations():
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            org = accounts.create_organisation(form.name.data)
        except AccountError as exc:
            db.session.rollback()
            flash(sentence(exc), "error")
        else:
            audit.record(current_user, "organisation.create", org, org.name, ip=request.remote_addr)
            db.session.commit()
            flash(
                gettext("Organisation %(name)s created. Now grant it events.", name=org.name),
                "success",
            )
            return redirect(url_for("admin.organisation", org_id=org.id))
    return render_template(
        "admin/organisations.html", rows=organisation_rows(), form=form
    ), form_status()


def organisation_rows() -> list[tuple[Organisation, int, list[Event]]]:
    """Each organisation with its members count and granted events."""
    counts = select(User.organisation_id, func.count()).group_by(User.organisation_id)
    members = dict(db.session.execute(counts).all())
    granted = defaultdict(list)
    for grant in db.session.scalars(select(Grant).join(Grant.event).order_by(*EVENT_ORDER)):
        granted[grant.organisation_id].append(grant.event)
    orgs = db.session.scalars(select(Organisation).order_by(func.lower(Organisation.name)))
    return [(org, members.get(org.id, 0), granted[org.id]) for org in orgs]


@bp.get("/organisations/<int:org_id>")
def organisation(org_id: int):
    return render_organisation(db.get_or_404(Organisation, org_id))


def render_organisation(org: Organisation, form: GrantEventForm | None = None, status=200):
    grants = db.session.scalars(
        select(Grant)
        .join(Grant.event)
        .where(Grant.organisation_id == org.id)
        .order_by(*EVENT_ORDER)
    ).all()
    form = form or GrantEventForm(formdata=None)
    granted = {g.event_id for g in grants}
    form.event.choices = [SelectChoice("", gettext("Choose an event"))] + [
        SelectChoice(e.slug, event_label(e)) for e in all_events() if e.id not in granted
    ]
    members = sorted(org.users, key=lambda u: u.username.lower())
    return render_template(
        "admin/organisation.html",
        org=org,
        grants=grants,
        members=members,
        form=form,
        revoke_form=RevokeForm(formdata=None),
        sharing_form=SharingForm(formdata=None, may_share=org.may_share),
    ), status


@bp.post("/organisations/<int:org_id>/sharing")
def organisation_sharing(org_id: int):
    """Allow or stop share links by the organisation's partners; stopping ends their open
    links at once (a link answers only while its owner may share)."""
    org = db.get_or_404(Organisation, org_id)
    form = SharingForm()
    if not form.validate_on_submit():
        abort(400)
    if org.may_share != form.may_share.data:
        org.may_share = form.may_share.data
        what = "may" if org.may_share else "may no longer"
        summary = f"partners of {org.name} {what} make share links"
        audit.record(current_user, "organisation.sharing", org, summary, ip=request.remote_addr)
        db.session.commit()
        if org.may_share:
            flash(gettext("Partners of %(name)s may make share links.", name=org.name), "success")
        else:
            flash(
                gettext("Partners of %(name)s may no longer make share links.", name=org.name),
                "success",
            )
    return redirect(url_for("admin.organisation", org_id=org.id))


@bp.post("/organisations/<int:org_id>/grants")
def grant_event(org_id: int):
    org = db.get_or_404(Organisation, org_id)
    form = GrantEventForm()
    form.event.choices = [SelectChoice(e.slug) for e in all_events()]
    if not form.validate_on_submit():
        return render_organisation(org, form=form, status=400)
    event = db.session.scalar(select(Event).where(Event.slug == form.event.data))
    add_grant(event, org)
    return redirect(url_for("admin.organisation", org_id=org.id))


@bp.get("/events/")
def events():
    rows = [(e, sorted(g.organisation.name for g in e.grants)) for e in all_events()]
    return render_template("admin/events.html", rows=rows)


@bp.get("/events/<slug>")
def event_access(slug: str):
    return render_event_access(load_event(slug))


def render_event_access(event: Event, form: GrantOrganisationForm | None = None, status=200):
    grants = sorted(event.grants, key=lambda g: g.organisation.name.lower())
    granted = {g.organisation_id for g in grants}
    form = form or GrantOrganisationForm(formdata=None)
    orgs = db.session.scalars(select(Organisation).order_by(func.lower(Organisation.name)))
    form.organisation.choices = [SelectChoice("", gettext("Choose an organisation"))] + [
        SelectChoice(str(o.id), o.name) for o in orgs if o.id not in granted
    ]
    return render_template(
        "admin/event_access.html",
        event=event,
        grants=grants,
        form=form,
        revoke_form=RevokeForm(formdata=None),
    ), status


@bp.post("/events/<slug>/grants")
def grant_organisation(slug: str):
    event = load_event(slug)
    form = GrantOrganisationForm()
    orgs = db.session.scalars(select(Organisation))
    form.organisation.choices = [SelectChoice(str(o.id), o.name) for o in orgs]
    if not form.validate_on_submit():
        return render_event_access(event, form=form, status=400)
    add_grant(event, db.session.get(Organisation, int(form.organisation.data)))
    return redirect(url_for("admin.event_access", slug=event.slug))


@bp.post("/organisations/<int:org_id>/events/<slug>/revoke")
def revoke_grant(org_id: int, slug: str):
    org = db.get_or_404(Organisation, org_id)
    event = load_event(slug)
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400)
    if accounts.remove_grant(event, org):
        summary = f"{event.slug} -x- {org.name}"
        audit.record(current_user, "grant.remove", event, summary, ip=request.remote_addr)
        db.session.commit()
        notify_grants_changed(event)
        flash(
            gettext("%(org)s no longer sees “%(event)s”.", org=org.name, event=event.title),
            "success",
        )
    else:
        flash(
            gettext("%(org)s had no grant for “%(event)s”.", org=org.name, event=event.title),
            "info",
        )
    if form.back.data == "event":
        return redirect(url_for("admin.event_access", slug=event.slug))
    return redirect(url_for("admin.organisation", org_id=org.id))


def add_grant(event: Event, org: Organisation) -> None:
    """Grant, audit, commit, then notify the index; both grant forms end here."""
    if accounts.add_grant(event, org):
        summary = f"{event.slug} -> {org.name}"
        audit.record(current_user, "grant.add", event, summary, ip=request.remote_addr)
        db.session.commit()
        notify_grants_changed(event)
        flash(gettext("%(org)s now sees “%(event)s”.", org=org.name, event=event.title), "success")
    else:
        flash(gettext("%(org)s already saw “%(event)s”.", org=org.name, event=event.title), "info")


def load_event(slug: str) -> Event:
    return db.one_or_404(select(Event).where(Event.slug == slug))


def all_events() -> list[Event]:
    return db.session.scalars(select(Event).order_by(*EVENT_ORDER)).all()


def event_label(event: Event) -> str:
    return f"{event.title} ({event.start_date.year})" if event.start_date else event.title
