"""Bulk import of a folder tree: the files to take, their event and fields, and the report.

Used by `flask import` through `archive.pipeline.import_folder`: a folder of files for one
event, or a folder per event described by an `event.toml`. The command returns only when
every file is ready or failed, and a second run adds nothing (identical files are reported
as duplicates).
"""

from __future__ import annotations

import hashlib
import logging
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from archive import catalogue
from archive.catalogue import EventDetails, EventError
from archive.extensions import db
from archive.ingest.intake import FieldError, ItemFields, accept_file, check_fields
from archive.models import Event, Item, ItemKind, ItemState
from archive.programme.applying import DeckResolver
from archive.programme.drafts import Problems, ProgrammeDraft
from archive.programme.tomlformat import has_sessions, read_toml
from archive.services import current_storage

logger = logging.getLogger(__name__)

METADATA_FILE = "event.toml"


@dataclass
class ImportReport:
    """What an import did, file by file."""

    imported: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, int]] = field(default_factory=list)  # (file, existing item id)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    pages: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed


class MetadataError(ValueError):
    """An event.toml that cannot be used; the message names the file and the field."""


def list_files(folder: Path) -> list[Path]:
    """Every regular file under `folder`, skipping hidden files, symlinks and metadata."""
    files = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or path.is_symlink():
            continue
        if path.is_file() and path.name != METADATA_FILE:
            files.append(path)
    return files


def accept_folder(
    folder: Path,
    event: Event,
    defaults: ItemFields,
    per_file: dict[str, ItemFields] | None,
    report: ImportReport,
    progress: Callable[[int], None] | None = None,
) -> list[tuple[str, int]]:
    """Store every file of `folder` as a queued item of `event` (`per_file` overrides the
    fields by relative name); returns (relative name, item id) of the new items and records
    duplicates and rejections in `report`."""
    accepted = []
    for path in list_files(folder):
        relative = path.relative_to(folder).as_posix()
        fields = (per_file or {}).get(relative, defaults)
        item_id = accept_path(path, relative, event, fields, report)
        if item_id is not None:
            accepted.append((relative, item_id))
        elif progress:
            progress(1)
    return accepted


def accept_path(path: Path, relative: str, event: Event, fields: ItemFields, report) -> int | None:
    """Store one file and create its item; record duplicates and rejections."""
    with path.open("rb") as stream:
        outcome = accept_file(
            current_storage(),
            stream,
            path.name,
            event,
            None,
            fields,
            max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
        )
    db.session.commit()
    if outcome.duplicate_of is not None:
        report.duplicates.append((relative, outcome.duplicate_of.id))
        return None
    if outcome.item is None:
        report.failed.append((relative, outcome.error or "rejected"))
        return None
    return outcome.item.id


def record_outcome(relative: str, item_id: int, report: ImportReport) -> None:
    """Add a processed item's outcome to the report, as the database now has it."""
    item = db.session.get(Item, item_id)
    db.session.refresh(item)
    if item.status == ItemState.READY:
        report.imported.append(relative)
        report.pages += getattr(item, "page_count", None) or 0
    elif item.status == ItemState.FAILED:
        report.failed.append((relative, item.error or "failed"))
    else:  # claimed by a running worker meanwhile: it will finish it
        report.imported.append(relative)


@dataclass
class FolderPlan:
    """One event folder of `flask import --per-event`: its event, item fields and programme."""

    folder: Path
    event: Event
    defaults: ItemFields
    per_file: dict[str, ItemFields]
    programme: ProgrammeDraft | None = None  # None: the event.toml has no [[sessions]]


def read_toml_file(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise MetadataError(f"{path}: cannot read ({exc})") from exc


def read_metadata(path: Path) -> tuple[str, EventDetails, ItemFields, dict[str, ItemFields]]:
    """Parse an event.toml: the event's slug and details, default and per-file item fields."""
    data = read_toml_file(path)
    slug = str(data.get("slug") or path.parent.name)
    details = EventDetails(
        title=str(data.get("title") or ""),
        start_date=to_date(data.get("start"), path, "start"),
        end_date=to_date(data.get("end"), path, "end"),
        city=str(data.get("city", "")),
        country=str(data.get("country", "")),
        venue=str(data.get("venue", "")),
        organisers=str(data.get("organisers", "")),
        description=str(data.get("description", "")),
        tags=[str(t) for t in data.get("tags", [])],
        timezone=str(data.get("timezone", "")),
        language=str(data.get("language") or "") or None,
    )
    defaults = fields_from(data.get("defaults", {}), path, "defaults")
    per_file = {}
    for entry in data.get("files", []):
        name = str(entry.get("name", ""))
        if not name or name.startswith("/") or ".." in Path(name).parts:
            raise MetadataError(f"{path}: file name {name!r} must be relative to its folder")
        per_file[Path(name).as_posix()] = fields_from(
            {**asdict_fields(defaults), **entry}, path, name
        )
    return slug, details, defaults, per_file


def asdict_fields(fields: ItemFields) -> dict:
    return {k: getattr(fields, k) for k in ItemFields.__dataclass_fields__}


def fields_from(data: dict, path: Path, where: str) -> ItemFields:
    fields = ItemFields(**{k: str(data[k]) for k in ItemFields.__dataclass_fields__ if k in data})
    try:
        check_fields(fields)
    except FieldError as exc:
        raise MetadataError(f"{path} [{where}]: {exc}") from exc
    return fields


def to_date(value, path: Path, name: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return catalogue.parse_date(str(value), name)
    except EventError as exc:
        raise MetadataError(f"{path}: {exc}") from exc


def event_for_folder(folder: Path) -> FolderPlan:
    """The event an event folder describes (created on first import) and its programme,
    read and checked before any file is stored."""
    path = folder / METADATA_FILE
    slug, details, defaults, per_file = read_metadata(path)
    programme = read_folder_programme(folder, details.timezone)
    event = catalogue.find_event(slug)
    if event is None:
        try:
            event = catalogue.create_event(slug, details)
        except EventError as exc:
            raise MetadataError(f"{path}: {exc}") from exc
        db.session.commit()
    return FolderPlan(folder, event, defaults, per_file, programme)


def read_folder_programme(folder: Path, zone_name: str) -> ProgrammeDraft | None:
    """The [[sessions]] of a folder's event.toml; every talk's file must be in the folder."""
    path = folder / METADATA_FILE
    data = read_toml_file(path)
    if not has_sessions(data):
        return None
    zone = zone_name or current_app.config["DEFAULT_TIMEZONE"]
    draft = read_toml(data, zone, str(path))
    missing = Problems(str(path))
    for session in draft.sessions:
        for talk in session.talks:
            if talk.file and not (folder / talk.file).is_file():
                missing.add(talk.where, "file", f"{talk.file!r} is not in {folder}")
    missing.check()
    return draft


def decks_in_folder(folder: Path, event: Event) -> DeckResolver:
    """Resolve a talk's `file` by the content of that file in the folder: the deck with the
    same bytes (imported now, or by an earlier run) in this event."""

    def resolve(file: str) -> int:
        digest = hashlib.sha256((folder / file).read_bytes()).hexdigest()
        item = db.session.scalar(select(Item).where(Item.sha256 == digest))
        if item is None or item.event_id != event.id or item.kind != ItemKind.PRESENTATION:
            raise ValueError(f"{file!r} was not imported as a presentation of this event")
        return item.id

    return resolve
