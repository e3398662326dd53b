"""`users` and `grants` commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from archive import accounts, audit, catalogue, pipeline
from archive.accounts import AccountError
from archive.catalogue import EventError
from archive.cli.common import fail, read_password
from archive.extensions import db
from archive.models import ROLES, User

users = AppGroup("users", help="Create and manage accounts.")
grants = AppGroup("grants", help="Open events to partner organisations.")

role_choice = click.Choice(ROLES)


@users.command("create")
@click.argument("name")
@click.option("--role", type=role_choice, required=True)
@click.option("--org", help="Organisation (required for partners).")
@click.option("--display-name", default="", help="Full name shown on pages.")
def create_user(name, role, org, display_name):
    """Create an account; the password is read from a prompt or standard input."""
    password = read_password()
    try:
        user = accounts.create_user(name, password, role, org, display_name)
    except AccountError as exc:
        fail(str(exc))
    audit.record(None, "user.create", user, summary=f"{name} ({role}) from the command line")
    db.session.commit()
    click.echo(f"Created {role} {user.username}" + (f" of {org}" if org else "") + ".")


@users.command("list")
def list_users():
    """List accounts with their role, organisation and state."""
    for user in db.session.scalars(select(User).order_by(User.username)):
        org = user.organisation.name if user.organisation else "-"
        state = "active" if user.active else "deactivated"
        click.echo(f"{user.username:24} {user.role:11} {org:24} {state}")


@users.command("set-role")
@click.argument("name")
@click.argument("role", type=role_choice)
@click.option("--org", help="Organisation (required when making someone a partner).")
def set_role(name, role, org):
    """Change an account's role; its sessions end."""
    try:
        user = accounts.get_user(name)
        accounts.set_role(user, role, org)
    except AccountError as exc:
        fail(str(exc))
    audit.record(None, "user.role", user, summary=f"role set to {role}")
    db.session.commit()
    click.echo(f"{user.username} is now {role}.")


@users.command("set-password")
@click.argument("name")
def set_password(name):
    """Set a new password (read from a prompt or standard input); sessions end."""
    try:
        user = accounts.get_user(name)
        accounts.set_password(user, read_password("New password"))
    except AccountError as exc:
        fail(str(exc))
    audit.record(None, "user.password", user, summary="password reset from the command line")
    db.session.commit()
    click.echo(f"Password of {user.username} changed.")


@users.command("deactivate")
@click.argument("name")
def deactivate(name):
    """Block an account: its sessions and tokens stop working at once."""
    _set_active(name, False)


@users.command("activate")
@click.argument("name")
def activate(name):
    """Allow a deactivated account to sign in again."""
    _set_active(name, True)


def _set_active(name: str, active: bool) -> None:
    try:
        user = accounts.get_user(name)
    except AccountError as exc:
        fail(str(exc))
    accounts.set_active(user, active)
    audit.record(None, "user.activate" if active else "user.deactivate", user)
    db.session.commit()
    click.echo(f"{user.username} is {'active' if active else 'deactivated'}.")


@users.command("token")
@click.argument("name")
@click.option("--label", default="command line", help="A name to recognise the token by.")
def create_token(name, label):
    """Create an API token for NAME and print it once."""
    try:
        token, secret = accounts.issue_token(accounts.get_user(name), label)
    except AccountError as exc:
        fail(str(exc))
    audit.record(None, "token.create", token, summary=f"{label} for {name}")
    db.session.commit()
    click.echo(secret)


@grants.command("add")
@click.argument("event_slug")
@click.argument("org")
def add_grant(event_slug, org):
    """Open EVENT_SLUG to the partner organisation ORG (created if new)."""
    try:
        event = catalogue.get_event(event_slug)
        organisation = accounts.find_or_create_organisation(org)
    except (EventError, AccountError) as exc:
        fail(str(exc))
    added = accounts.add_grant(event, organisation)
    audit.record(None, "grant.add", event, summary=f"{event_slug} -> {organisation.name}")
    db.session.commit()
    # The event's documents carry its grants: refresh them here, so that the partner finds
    # the event's decks at once (the admin page asks the queue; a command has no worker).
    pipeline.reindex_event(event.id)
    click.echo(f"{organisation.name} {'now sees' if added else 'already saw'} {event_slug}.")


@grants.command("remove")
@click.argument("event_slug")
@click.argument("org")
def remove_grant(event_slug, org):
    """Close EVENT_SLUG to ORG."""
    try:
        event = catalogue.get_event(event_slug)
    except EventError as exc:
        fail(str(exc))
    organisation = accounts.find_organisation(org)
    if organisation is None or not accounts.remove_grant(event, organisation):
        fail(f"{org!r} has no grant for {event_slug}")
    audit.record(None, "grant.remove", event, summary=f"{event_slug} -x- {organisation.name}")
    db.session.commit()
    pipeline.reindex_event(event.id)
    click.echo(f"{organisation.name} no longer sees {event_slug}.")
