"""Changing and deleting items after upload (staff): one item, or a selection on an event page.

Every change is audited per item and re-indexed right after the commit, so that a narrowed
visibility takes effect in search at once; deletions purge files and index documents after
the commit (see `archive.materials`).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from archive import audit, materials, permissions, pipeline, tasks
from archive.auth.forms import EmptyForm
from archive.auth.views import safe_next
from archive.extensions import db
from archive.guards import load_event_or_404, load_or_404, require_login
from archive.ingest import FieldError
from archive.models import Event, Item, ItemKind
from archive.web.events import render_detail
from archive.web.forms import (
    BulkEditForm,
    DeleteItemsForm,
    ItemForm,
    SelectionForm,
    form_status,
    sentence,
)

bp = Blueprint("item_edit", __name__)
bp.before_request(require_login)


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
def edit(item_id: int):
    item = load_editable_item(item_id)
    # Prefill only on GET: a POST is judged by what it sent, never topped up from the row.
    form = (
        ItemForm(obj=item, kind=item.kind) if request.method == "GET" else ItemForm(kind=item.kind)
    )
    if not form.validate_on_submit():
        return render_template("items/edit.html", item=item, form=form), form_status()
    try:
        changed = update_and_audit(item, form.values())
    except FieldError as exc:
        db.session.rollback()
        flash(sentence(exc), "error")
        return render_template("items/edit.html", item=item, form=form), 400
    db.session.commit()
    materials.reindex_after_commit([item.id] if changed else [])
    if changed:
        flash(gettext("Saved “%(title)s”.", title=item.display_title), "success")
    else:
        flash(gettext("Nothing to change."), "success")
    return redirect(item_page(item))


@bp.route("/items/<int:item_id>/delete", methods=["GET", "POST"])
def delete(item_id: int):
    item = load_editable_item(item_id)
    form = DeleteItemsForm()
    form.items.choices = [SelectChoice(str(item.id))]
    if not form.validate_on_submit() or form.confirm.data != "yes":
        action = url_for("item_edit.delete", item_id=item.id)
        return render_confirmation(item.event, [item], action, form_status())
    return delete_and_report(item.event, [item])


@bp.post("/items/<int:item_id>/retry")
def retry(item_id: int):
    """Process a failed item again from its original (after a fix, or a passing fault)."""
    item = load_editable_item(item_id)
    if not EmptyForm().validate_on_submit():
        return redirect(request.referrer or item_page(item)), 400
    if pipeline.requeue_failed(item.id):
        audit.record(current_user, "item.retry", item, item.display_title, ip=request.remote_addr)
        db.session.commit()
        tasks.enqueue_processing([item.id])
        flash(
            gettext("“%(title)s” is queued to be processed again.", title=item.display_title),
            "success",
        )
    else:
        flash(
            gettext("“%(title)s” had not failed; nothing to retry.", title=item.display_title),
            "info",
        )
    return redirect(safe_next(request.form.get("next")))


@bp.post("/events/<slug>/items/bulk")
def bulk(slug: str):
    """The event page's selection form: apply the filled-in fields, or confirm a deletion."""
    event = load_editable_event(slug)
    form = BulkEditForm()
    form.items.choices = event_item_ids(event)
    if request.form.get("action") == "share":  # on to the share-link form with the selection
        return redirect(url_for("shares.new", items=request.form.getlist("items", type=int)))
    if request.form.get("action") == "delete":
        return confirm_bulk_delete(event, form)
    if not form.validate_on_submit():
        return render_detail(event, bulk_form=form, status=400)
    if not (changes := form.changes()):
        form.form_errors.append(gettext("Fill in at least one field to change."))
        return render_detail(event, bulk_form=form, status=400)
    items = selected_items(event, form.items.data)
    try:
        changed = [item.id for item in items if update_and_audit(item, changes)]
    except FieldError as exc:
        db.session.rollback()
        form.form_errors.append(sentence(exc))
        return render_detail(event, bulk_form=form, status=400)
    db.session.commit()
    materials.reindex_after_commit(changed)
    flash(
        ngettext(
            "Changed %(num)d item of %(selected)d selected.",
            "Changed %(num)d items of %(selected)d selected.",
            len(changed),
            selected=len(items),
        ),
        "success",
    )
    return redirect(url_for("events.detail", slug=event.slug))


def confirm_bulk_delete(event: Event, form: BulkEditForm):
    """Deleting from the selection form first shows what would go; nothing is deleted yet."""
    selection = SelectionForm()
    selection.items.choices = form.items.choices
    if not selection.validate_on_submit():
        form.validate()  # the same errors, shown next to the selection form
        return render_detail(event, bulk_form=form, status=400)
    items = selected_items(event, selection.items.data)
    action = url_for("item_edit.bulk_delete", slug=event.slug)
    return render_confirmation(event, items, action, 200)


@bp.post("/events/<slug>/items/delete")
def bulk_delete(slug: str):
    event = load_editable_event(slug)
    form = DeleteItemsForm()
    form.items.choices = event_item_ids(event)
    if not form.validate_on_submit() or form.confirm.data != "yes":
        items = selected_items(event, [i for i in form.items.data or [] if isinstance(i, int)])
        if not items:
            flash(gettext("Select at least one item to delete."), "error")
            return render_detail(event, status=400)
        action = url_for("item_edit.bulk_delete", slug=event.slug)
        return render_confirmation(event, items, action, 400)
    return delete_and_report(event, selected_items(event, form.items.data))


def update_and_audit(item: Item, changes: dict[str, str]) -> list[str]:
    """Apply the changes; record what changed from what to what."""
    before = {name: getattr(item, name, "") or "" for name in changes}
    changed = materials.update_item(item, changes)
    if changed:
        summary = "; ".join(
            f"{name}: {before[name]!r} → {getattr(item, name) or ''!r}" for name in changed
        )
        audit.record(current_user, "item.update", item, summary, ip=request.remote_addr)
    return changed


def delete_and_report(event: Event, items: list[Item]):
    for item in items:
        summary = f"{item.original_filename}: {item.display_title}"
        audit.record(current_user, "item.delete", item, summary, ip=request.remote_addr)
    titles = [item.display_title for item in items]
    removed = materials.delete_items(items)
    db.session.commit()
    materials.purge(removed)
    if len(titles) == 1:
        flash(gettext("Deleted “%(title)s”.", title=titles[0]), "success")
    else:
        flash(ngettext("Deleted %(num)d item.", "Deleted %(num)d items.", len(titles)), "success")
    return redirect(url_for("events.detail", slug=event.slug))


def render_confirmation(event: Event, items: list[Item], action: str, status: int):
    form = DeleteItemsForm(formdata=None, confirm="yes")
    return render_template(
        "items/delete.html", event=event, items=items, form=form, action=action
    ), status


def load_editable_item(item_id: int) -> Item:
    """The item, or 404 (also when this user may not edit it)."""
    return load_or_404(Item, item_id, permissions.may_edit)


def load_editable_event(slug: str) -> Event:
    return load_event_or_404(slug, permissions.may_edit)


def event_item_ids(event: Event) -> list[SelectChoice]:
    """The event's items as the choices of a selection form."""
    ids = db.session.scalars(select(Item.id).where(Item.event_id == event.id))
    return [SelectChoice(str(item_id)) for item_id in ids]


def selected_items(event: Event, ids: list[int]) -> list[Item]:
    """The chosen items of this event, in a stable order; ids of other events are ignored."""
    return list(
        db.session.scalars(
            select(Item).where(Item.event_id == event.id, Item.id.in_(ids)).order_by(Item.id)
        )
    )


def item_page(item: Item) -> str:
    if item.kind == ItemKind.PRESENTATION:
        return url_for("presentations.view", item_id=item.id)
    return url_for("events.detail", slug=item.event.slug, _anchor=f"photo-{item.id}")


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
