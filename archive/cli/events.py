"""`events` commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from archive import audit, catalogue
from archive.catalogue import EventDetails, EventError
from archive.cli.common import fail
from archive.extensions import db

events = AppGroup("events", help="Create events.")


@events.command("create")
@click.argument("slug")
@click.option("--title", required=True)
@click.option("--start", help="First day, YYYY-MM-DD.")
@click.option("--end", help="Last day, YYYY-MM-DD.")
@click.option("--city", default="")
@click.option("--country", default="")
@click.option("--venue", default="")
@click.option("--organisers", default="", help="Separated by semicolons.")
@click.option("--tags", default="", help="Separated by commas.")
@click.option("--description", default="")
@click.option("--timezone", default="", help="IANA name, e.g. Asia/Baku (default: configured).")
def create(slug, title, start, end, city, country, venue, organisers, tags, description, timezone):
    """Create the event SLUG."""
    try:
        details = EventDetails(
            title=title,
            start_date=catalogue.parse_date(start, "--start"),
            end_date=catalogue.parse_date(end, "--end"),
            city=city,
            country=country,
            venue=venue,
            organisers=organisers,
            description=description,
            tags=tags.split(","),
            timezone=timezone,
        )
        event = catalogue.create_event(slug, details)
    except EventError as exc:
        fail(str(exc))
    audit.record(None, "event.create", event, summary=title)
    db.session.commit()
    click.echo(f"Created event {slug}: {event.title}.")
