"""`reindex`: rebuild the search index from the database."""

from __future__ import annotations

import sys

import click

from archive import indexing, pipeline
from archive.fulltext import FulltextError


@click.command("reindex")
def reindex():
    """Rebuild the whole index into a new folder and swap it in when complete; searches keep
    working on the old index meanwhile."""
    total = indexing.count_ready_items()
    with click.progressbar(length=total, label="Indexing", file=sys.stderr) as bar:
        done = {"n": 0}

        def progress(n: int) -> None:
            bar.update(n - done["n"])
            done["n"] = n

        try:
            report = pipeline.rebuild_index(progress)
        except FulltextError as exc:
            raise click.ClickException(
                f"reindex failed, the old index is untouched: {exc}"
            ) from exc
    click.echo(
        f"Indexed {report.items} item(s) as {report.documents} document(s) "
        f"in {report.seconds:.1f} s ({report.generation})."
    )
    for item_id, reason in report.failed:
        click.echo(f"  item {item_id} left out: {reason}")
    if report.failed:
        sys.exit(1)
