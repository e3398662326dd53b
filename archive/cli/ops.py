"""`check`, `backup` and `restore`: keeping the archive whole, with progress bars and a
summary; the work is done by `archive.integrity` and `archive.backup`."""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

from archive import integrity


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
