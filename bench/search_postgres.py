"""`bench/search.py --backend postgresql`: the PostgreSQL backend beside Whoosh, in one run.

The same generated pages (`search.corpus`) are built by both backends, Whoosh as the
reference, then the same query mix (`search.queries`) runs in a partner's scope and an
unrestricted one, with facets, grouping and snippets, and both are printed side by side:
build pages/s (the pages are generated before the clock starts), index size, and p50/p95/p99
per scope. PostgreSQL runs as a private server
(`tests.support.postgres`), started and stopped here; the first search of each backend
warms it up and is not counted.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from archive.fulltext import AccessScope, SearchRequest
from archive.fulltext.postgres import PostgresIndex
from archive.fulltext.whoosh import SearchIndex
from bench.search import corpus, percentile, queries
from tests.support.postgres import PostgresServer

SCOPES = {
    "unrestricted": AccessScope(include_staff_only=True),
    "partner": AccessScope(False, frozenset(range(3, 201, 5)), 3),  # as bench/search.py
}


def build(index, items: list) -> dict:
    """Rebuild `index` from the generated pages; pages/s and documents. The pages are made
    before the clock starts: the rate is the backend's, not the generator's."""
    started = time.perf_counter()
    report = index.rebuild(iter(items))
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "documents": report.documents, "rate": report.documents / seconds}


def timings(index, plan, scope) -> list[float]:
    """Milliseconds of each query of the plan (every result page built in full)."""
    index.search(SearchRequest("government", scope))  # warm up: not counted
    out = []
    for _, text in plan:
        started = time.perf_counter()
        page = index.search(SearchRequest(text, scope))
        out.append((time.perf_counter() - started) * 1000)
        assert page.total_hits >= 0
    return out


def row(label: str, whoosh: str, postgres: str) -> None:
    print(f"  {label:<34}{whoosh:>18}{postgres:>18}")


def compare(args: argparse.Namespace) -> None:
    """Build both backends and print their figures side by side."""
    plan = queries(args.seed, args.queries)
    folder = Path(tempfile.mkdtemp(prefix="fulltext-bench-"))
    with PostgresServer() as server:
        server.create_database("bench")
        whoosh, postgres = SearchIndex(folder), PostgresIndex(server.dsn("bench"))
        print(f"building {args.pages:,} pages with each backend ...", flush=True)
        items = [(item, list(pages)) for item, pages in corpus(args.pages, args.seed)]
        built = {"whoosh": build(whoosh, items), "postgresql": build(postgres, items)}
        del items
        sizes = {"whoosh": whoosh.stats().size_bytes, "postgresql": postgres.stats().size_bytes}
        times = {
            (name, scope): timings(index, plan, SCOPES[scope])
            for scope in SCOPES
            for name, index in (("whoosh", whoosh), ("postgresql", postgres))
        }
        whoosh.close()
        postgres.close()
    shutil.rmtree(folder, ignore_errors=True)
    print(f"\n{args.pages:,} pages, {built['whoosh']['documents']:,} documents with photos; "
          f"{len(plan)} queries per scope (facets, grouping, snippets)")  # fmt: skip
    row("", "whoosh", "postgresql")
    row("build, pages/s", *(f"{built[n]['rate']:,.0f}" for n in ("whoosh", "postgresql")))
    row("build, s", *(f"{built[n]['seconds']:,.1f}" for n in ("whoosh", "postgresql")))
    row("index size, MB", *(f"{sizes[n] / 1e6:,.1f}" for n in ("whoosh", "postgresql")))
    for scope in SCOPES:
        for p in (50, 95, 99):
            figures = (percentile(times[(n, scope)], p) for n in ("whoosh", "postgresql"))
            row(f"search p{p}, {scope}, ms", *(f"{v:,.1f}" for v in figures))
