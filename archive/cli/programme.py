"""`programme` commands: import a programme file, and read the capture facts that photos
stored before the programme existed lack (their UTC offset and camera serial)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from archive import audit, catalogue
from archive.catalogue import EventError
from archive.cli.common import fail
from archive.extensions import db
from archive.ingest import IngestError
from archive.ingest.processing import refresh_capture_facts
from archive.models import Photo
from archive.pipeline import reindex_event
from archive.programme.drafts import ProgrammeError
from archive.programme.importing import import_programme
from archive.storage import StorageError

programme = AppGroup("programme", help="Event programmes: import, photo capture facts.")


@programme.command("import")
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_file(slug: str, file: Path):
    """Make FILE (a CSV, one row per talk, or an event.toml) the programme of event SLUG."""
    try:
        event = catalogue.get_event(slug)
        summary = import_programme(event, file.read_bytes(), file.name)
    except (EventError, ProgrammeError) as exc:
        db.session.rollback()
        problems = getattr(exc, "problems", None)
        if problems:
            fail("nothing was imported:\n" + "\n".join(f"  {p}" for p in problems))
        fail(str(exc))
    audit.record(None, "programme.import", event, str(summary))
    db.session.commit()
    reindex_event(event.id)
    click.echo(f"Programme of {slug}: {summary}.")


@programme.command("read-exif")
@click.option("--event", "slug", help="Only this event's photos.")
def read_exif(slug: str | None):
    """Read capture time, UTC offset and camera (with serial) again from the originals of
    photos, without rebuilding thumbnails: after upgrading to the programme (migration 0007)
    photos stored before it are placed in their event's time zone until this has run."""
    query = select(Photo).order_by(Photo.id)
    if slug:
        try:
            query = query.where(Photo.event_id == catalogue.get_event(slug).id)
        except EventError as exc:
            fail(str(exc))
    photos = db.session.scalars(query).all()
    failed, events = [], set()
    with click.progressbar(photos, label="Reading EXIF", file=sys.stderr) as bar:
        for photo in bar:
            try:
                refresh_capture_facts(photo)
            except (IngestError, StorageError, OSError) as exc:
                failed.append((photo.id, str(exc)))
                continue
            events.add(photo.event_id)
            db.session.commit()
    for event_id in sorted(events):
        reindex_event(event_id)
    click.echo(f"Read {len(photos) - len(failed)} photo(s); {len(failed)} failed.")
    for item_id, error in failed:
        click.echo(f"  item {item_id}: {error}")
    if failed:
        sys.exit(1)
