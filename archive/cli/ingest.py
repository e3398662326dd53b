"""`import` and `reprocess`: bulk work on files, with a progress bar and a summary."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from sqlalchemy import select

from archive import audit, catalogue
from archive.catalogue import EventError
from archive.cli.common import fail
from archive.extensions import db
from archive.ingest import FieldError, ItemFields, check_fields
from archive.ingest.bulk import (
    METADATA_FILE,
    FolderPlan,
    ImportReport,
    MetadataError,
    decks_in_folder,
    event_for_folder,
    list_files,
)
from archive.models import VISIBILITIES, Item, ItemState, Visibility
from archive.pipeline import (
    earlier_versions,
    import_folder,
    reindex_event,
    reprocess_item,
    reprocess_versions,
)
from archive.programme.applying import apply_draft
from archive.programme.drafts import ProgrammeError


@click.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--event", "slug", help="Import every file of FOLDER into this event.")
@click.option(
    "--per-event",
    is_flag=True,
    help=f"FOLDER holds one folder per event, each described by an {METADATA_FILE}.",
)
@click.option(
    "--visibility",
    type=click.Choice(VISIBILITIES),
    default=Visibility.SHARED.value,
    show_default=True,
)
@click.option(
    "--jobs", "-j", type=int, default=1, show_default=True, help="Files processed at once."
)
def import_command(folder: Path, slug, per_event, visibility, jobs):
    """Import a folder of PDFs and photos; returns when every file is ready or failed."""
    if bool(slug) == per_event:
        fail("give either --event SLUG or --per-event")
    report = ImportReport()
    plans = plan_import(folder, slug, per_event, visibility)
    total = sum(len(list_files(plan.folder)) for plan in plans)
    with click.progressbar(length=total, label="Importing", file=sys.stderr) as bar:
        for plan in plans:
            import_folder(
                plan.folder, plan.event, plan.defaults, plan.per_file, bar.update, jobs, report
            )
    for plan in plans:
        if plan.programme is not None:
            apply_programme(plan, report)
    print_summary(report)
    if not report.ok:
        sys.exit(1)


def apply_programme(plan: FolderPlan, report: ImportReport) -> None:
    """After the folder's files: its event.toml's sessions, all or nothing, decks by content."""
    source = str(plan.folder / METADATA_FILE)
    try:
        summary = apply_draft(
            plan.event, plan.programme, decks_in_folder(plan.folder, plan.event), source
        )
    except ProgrammeError as exc:
        db.session.rollback()
        report.failed.append((source, f"programme not imported: {exc}"))
        return
    audit.record(None, "programme.import", plan.event, str(summary))
    db.session.commit()
    reindex_event(plan.event.id)
    click.echo(f"Programme of {plan.event.slug}: {summary}.")


def plan_import(folder: Path, slug, per_event: bool, visibility: str):
    """(folder, event, default fields, per-file fields) for each folder to import."""
    defaults = ItemFields(visibility=visibility)
    try:
        check_fields(defaults)
        if slug:
            return [FolderPlan(folder, catalogue.get_event(slug), defaults, {})]
        plans = []
        for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
            if not (sub / METADATA_FILE).is_file():
                click.echo(f"skipping {sub}: no {METADATA_FILE}", err=True)
                continue
            plans.append(event_for_folder(sub))
        return plans
    except (EventError, MetadataError, FieldError, ProgrammeError) as exc:
        fail(str(exc))


def print_summary(report: ImportReport) -> None:
    click.echo(
        f"Imported {len(report.imported)} file(s) ({report.pages} pages), "
        f"{len(report.duplicates)} duplicate(s), {len(report.failed)} failed."
    )
    for name, item_id in report.duplicates:
        click.echo(f"  duplicate: {name} is already item {item_id}")
    for name, reason in report.failed:
        click.echo(f"  failed: {name}: {reason}")


@click.command("reprocess")
@click.option("--event", "slug", help="Only this event's items.")
@click.option("--failed", "failed_only", is_flag=True, help="Only items that failed.")
@click.argument("item_ids", nargs=-1, type=int)
def reprocess(slug, failed_only, item_ids):
    """Rebuild derived files and extracted text from the stored originals (and the page
    images of the items' earlier versions)."""
    query = select(Item.id).order_by(Item.id)
    if slug:
        try:
            query = query.where(Item.event_id == catalogue.get_event(slug).id)
        except EventError as exc:
            fail(str(exc))
    if failed_only:
        query = query.where(Item.status == ItemState.FAILED)
    if item_ids:
        query = query.where(Item.id.in_(item_ids))
    ids = db.session.scalars(query).all()
    failed = []
    with click.progressbar(ids, label="Reprocessing", file=sys.stderr) as bar:
        for item_id in bar:
            status, error = reprocess_item(item_id)
            if status != ItemState.READY:
                failed.append((f"item {item_id}", error))
    for version_id, status in reprocess_versions(earlier_versions(ids), f"reprocess:{os.getpid()}"):
        if status != ItemState.READY:
            failed.append((f"version {version_id}", status))
    click.echo(f"Reprocessed {len(ids)} item(s) and their earlier versions; {len(failed)} failed.")
    for what, error in failed:
        click.echo(f"  {what}: {error}")
    if failed:
        sys.exit(1)
