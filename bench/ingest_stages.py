"""Where the CPU of a text + index import goes, stage by stage, in ms per page.

The text-only import (page images off) runs twice on the same PDFs, each into a fresh
archive: once as `flask import` runs it (extraction in the sandbox child), once with the
extraction called in this process, where each stage's function is wrapped by a CPU timer:

- pypdf structure (`extract.read_pdf_info`),
- pdfium text (`render.page_text` less the normalisation inside it),
- normalisation (`textnorm.normalise_text`, wherever it is called from),
- language detection (`extract.detect_languages`),
- database inserts (`processing.extract_and_save` less the extraction inside it),
- index writes (`pipeline.index_pending`: loading the rows, building documents, Whoosh),
- the sandbox round trips: the sandboxed run's CPU less the in-process run's (forking and
  reusing the child, pickling the task and the pages across the pipe, copy-on-write faults).

What is left (storing originals, sniffing, claiming, the import's own bookkeeping) is printed
as "other". Timers nest: an inner stage's time is subtracted from the stage around it.
"""

from __future__ import annotations

import functools
import pkgutil
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from unittest import mock

STAGES = [
    ("pypdf structure", "archive.ingest.extract.read_pdf_info"),
    ("pdfium text", "archive.ingest.render.page_text"),
    ("normalisation", "archive.ingest.render.normalise_text"),
    ("normalisation", "archive.ingest.pdf.normalise_text"),
    ("language detection", "archive.ingest.extract.detect_languages"),
    ("database inserts", "archive.pipeline.processing.extract_and_save"),
    ("extraction", "archive.ingest.processing.run_extraction"),
    ("index writes", "archive.pipeline.processing.index_pending"),
]


class StageClock:
    """CPU seconds spent in each stage, exclusive of the stages nested inside it."""

    def __init__(self):
        self.spent: dict[str, float] = defaultdict(float)
        self._stack: list[list] = []

    def wrap(self, stage: str, func: Callable) -> Callable:
        @functools.wraps(func)
        def timed(*args, **kwargs):
            frame = [stage, time.process_time(), 0.0]  # stage, start, time of nested stages
            self._stack.append(frame)
            try:
                return func(*args, **kwargs)
            finally:
                self._stack.pop()
                total = time.process_time() - frame[1]
                self.spent[stage] += total - frame[2]
                if self._stack:
                    self._stack[-1][2] += total

        return timed


def in_process(func, *args, **_limits):
    """Stands in for run_sandboxed: the extraction runs here, where the timers see it."""
    return func(*args)


class InlineExecutor:
    """Stands in for the import's thread pool, so that every stage runs in this thread."""

    def __init__(self, **_options):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def map(self, func, values):
        return map(func, values)


@contextmanager
def timed_in_process(clock: StageClock, stages: list[tuple[str, str]]) -> Iterator[None]:
    """Imports inside run in this process (no sandboxed child, no pipeline threads), so
    that `clock` can time each stage's function, named by its dotted path in `stages`."""
    with ExitStack() as patches:
        patches.enter_context(mock.patch("archive.ingest.extract.run_sandboxed", in_process))
        patches.enter_context(
            mock.patch("archive.pipeline.processing.ThreadPoolExecutor", InlineExecutor)
        )
        for stage, target in stages:
            timed = clock.wrap(stage, pkgutil.resolve_name(target))
            patches.enter_context(mock.patch(target, timed))
        yield


def breakdown(run_import: Callable, pdfs: Path, work: Path, text_only: Callable) -> None:
    """Print ms per page for each stage (see the module docstring); `text_only()` switches
    page images off."""
    with text_only():
        sandboxed = run_import(pdfs, work / "archive-stages-sandboxed")
        clock = StageClock()
        with timed_in_process(clock, STAGES):
            inline = run_import(pdfs, work / "archive-stages-inline")
    pages = inline.pages or 1
    spent = dict(clock.spent)
    spent.pop("extraction", None)  # what is left of it is the extraction's own glue
    spent["sandbox round trips"] = max(0.0, sandboxed.seconds - inline.seconds)
    spent["other"] = max(0.0, inline.seconds - sum(clock.spent.values()))
    per_page = 1000 * sandboxed.seconds / pages
    print(
        f"text + index, CPU ms per page by stage ({pages} pages; sandboxed run "
        f"{per_page:.2f} ms/page, in-process {1000 * inline.seconds / pages:.2f}):"
    )
    for stage in [s for s, _ in STAGES if s != "extraction"] + ["sandbox round trips", "other"]:
        if stage in spent:
            ms = 1000 * spent.pop(stage) / pages
            print(f"  {stage:<22} {ms:6.2f} ms/page  {ms / per_page:6.1%}")
