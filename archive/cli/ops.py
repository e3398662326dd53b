"""`check`, `backup` and `restore`: keeping the archive whole, with progress bars and a
summary; the work is done by `archive.integrity` and `archive.backup`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from archive import integrity
from archive.backup import BackupError, RestoreError, backup_archive, restore_archive
from archive.cli.common import fail


@click.command("check")
@click.option("--repair", is_flag=True, help="Fix what was found, saying what was done.")
@click.option("--quick", is_flag=True, help="Do not re-hash the originals, only look for them.")
def check(repair, quick):
    """Check originals, items, derived files, search index and queue against each other;
    exits 1 when problems were found (with --repair: when some could not be fixed)."""
    total = 0 if quick else integrity.count_originals()
    with click.progressbar(length=total, label="Hashing originals", file=sys.stderr) as bar:
        report = integrity.check_archive(verify_hashes=not quick, progress=advance(bar))
    print_report(report)
    if not repair:
        if not report.ok:
            click.echo("`flask --app archive check --repair` fixes them.")
        sys.exit(0 if report.ok else 1)
    click.echo("\nRepairing:")
    actions = integrity.repair(report)
    for action in actions:
        click.echo(f"  {'' if action.ok else 'FAILED: '}{action.subject}: {action.outcome}")
    failed = sum(not action.ok for action in actions)
    click.echo(f"Did {len(actions)} repair(s); {failed} failed.")
    sys.exit(1 if failed else 0)


def print_report(report: integrity.CheckReport) -> None:
    hashed = "hashes recomputed" if report.hashes_verified else "hashes not recomputed"
    click.echo(
        f"Checked {report.originals_checked} original(s) ({hashed}), "
        f"{report.items_checked} item(s), {report.indexed_items} indexed item(s)."
    )
    for heading, lines in report.problem_groups():
        click.echo(f"\n{heading}: {len(lines)}")
        for line in lines:
            click.echo(f"  {line}")
    notes = report.notes()
    if notes:
        click.echo("\nNotes (not problems):")
        for note in notes:
            click.echo(f"  {note}")
    if report.ok:
        click.echo("\nNo problems found.")
    else:
        click.echo(f"\n{report.problem_count} problem(s) found.")


def advance(bar) -> Callable[[int], None]:
    """A `progress(done_so_far)` callback that moves a click progress bar."""
    done = {"n": 0}

    def progress(n: int) -> None:
        bar.update(n - done["n"])
        done["n"] = n

    return progress


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@click.option(
    "--portable",
    is_flag=True,
    help="Dump an SQLite database as JSON lines too (to restore into PostgreSQL).",
)
def backup(path: Path, force, portable):
    """Write the database, the originals and the secret key to PATH (.tar, .tar.gz or .tgz)
    while the service runs; thumbnails and the index are rebuilt on restore."""
    try:
        report = backup_archive(path, force=force, portable=portable, stage=progress_stage)
    except BackupError as exc:
        fail(str(exc))
    click.echo(
        f"Backed up {report.items} item(s) and {report.originals} original(s) to {report.path} "
        f"({report.bytes / 1e6:.1f} MB; database as {report.database_format})."
    )
    for error in report.errors:
        click.echo(f"  error: {error}")
    sys.exit(1 if report.errors else 0)


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--no-derived",
    is_flag=True,
    help="Do not make thumbnails and page images now (run `flask reprocess` later).",
)
def restore(path: Path, no_derived):
    """Restore a backup into an EMPTY instance, then rebuild derived files and the index."""
    try:
        report = restore_archive(path, derived=not no_derived, stage=progress_stage)
    except RestoreError as exc:
        fail(str(exc))
    click.echo(
        f"Restored {report.users} user(s), {report.events} event(s), {report.items} item(s) "
        f"and {report.originals} original(s) from {path}."
    )
    click.echo(f"Secret key: {report.secret_key}.")
    if no_derived:
        click.echo("Derived files not made: run `flask --app archive reprocess` when convenient.")
    else:
        click.echo(f"Derived files made again for {report.reprocessed} item(s).")
    click.echo(f"Search index rebuilt with {report.indexed} item(s): the archive is searchable.")
    for warning in report.warnings:
        click.echo(f"  noted when the backup was made: {warning}")
    for error in report.errors:
        click.echo(f"  error: {error}")
    sys.exit(1 if report.errors else 0)


@contextmanager
def progress_stage(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on standard error for one stage of a backup or restore."""
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update
