"""SQLite FTS5 over the same generated pages and queries: the reference for bench/search.py.

One FTS5 table (porter + unicode61, remove_diacritics 2) holds each page's text, title,
speakers and event words; a plain table beside it holds what filters and facets need (item,
event, year, visibility, grant). Each query returns what the archive's search page needs
from an engine: the top 10 pages by bm25 with a snippet each, the total, and two facet
counts (by event and by year) over every match, within the same scope.
"""

from __future__ import annotations

import resource
import sqlite3
import time
from pathlib import Path

SCHEMA = """
CREATE VIRTUAL TABLE pages USING fts5(
    body, title, people, event,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TABLE meta (
    id INTEGER PRIMARY KEY, item INTEGER, event INTEGER, year INTEGER, shared INTEGER,
    grant_org INTEGER
);
"""


def build(path: Path, items) -> tuple[int, float, float]:
    """Fill a new database at `path`; (documents, CPU seconds, size in MB)."""
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    started = time.process_time()
    rowid = 0
    for item, pages in items:
        year = item.item_date.year if item.item_date else 0
        people = " ".join(item.speakers)
        event = f"{item.event_title} {item.city} {item.country} {item.event_slug}"
        grant = item.granted_org_ids[0] if item.granted_org_ids else -1
        for page in pages:
            rowid += 1
            db.execute(
                "INSERT INTO pages(rowid, body, title, people, event) VALUES (?, ?, ?, ?, ?)",
                (rowid, page.text, item.title, people, event),
            )
            db.execute(
                "INSERT INTO meta VALUES (?, ?, ?, ?, ?, ?)",
                (rowid, item.item_id, item.event_id, year, item.visibility == "shared", grant),
            )
    db.commit()
    seconds = time.process_time() - started
    db.close()
    return rowid, seconds, path.stat().st_size / 1e6


def match_expression(text: str) -> tuple[str, tuple[int, int] | None]:
    """The bench's query text as an FTS5 MATCH expression and an optional year range."""
    years = None
    words = []
    for part in text.split(" "):
        if part.startswith("year:"):
            low, high = part[5:].split("..")
            years = (int(low), int(high))
        else:
            words.append(part)
    text = " ".join(words)
    if text.startswith('"'):
        return text, years
    if text.endswith("*"):
        return f'"{text[:-1]}"*', years
    return " ".join(f'"{w}"' for w in text.split()), years


def scope_sql(scope) -> tuple[str, list]:
    """The AccessScope as a WHERE clause on `meta`."""
    clauses, args = [], []
    if not scope.include_staff_only:
        clauses.append("m.shared = 1")
    if scope.event_ids is not None:
        ids = sorted(scope.event_ids)
        clauses.append(f"m.event IN ({','.join('?' * len(ids))})")
        args += ids
    if scope.organisation_id is not None:
        clauses.append("m.grant_org = ?")
        args.append(scope.organisation_id)
    return " AND ".join(clauses) or "1", args


def search(db: sqlite3.Connection, text: str, scope) -> int:
    """Top 10 with snippets, the total and two facet counts; returns the total."""
    expression, years = match_expression(text)
    where, args = scope_sql(scope)
    if years:
        where += " AND m.year BETWEEN ? AND ?"
        args += list(years)
    matches = f"FROM pages p JOIN meta m ON m.id = p.rowid WHERE pages MATCH ? AND {where}"
    params = [expression, *args]
    top = db.execute(
        "SELECT m.item, snippet(pages, 0, '<mark>', '</mark>', '…', 24) "
        f"{matches} ORDER BY bm25(pages, 1.0, 3.0, 2.5, 0.5) LIMIT 10",
        params,
    ).fetchall()
    assert len(top) <= 10
    total = db.execute(f"SELECT count(*) {matches}", params).fetchone()[0]
    db.execute(f"SELECT m.event, count(*) {matches} GROUP BY m.event", params).fetchall()
    db.execute(f"SELECT m.year, count(*) {matches} GROUP BY m.year", params).fetchall()
    return total


def time_queries(path: Path, plan, scope, cold: bool) -> dict[str, list[float]]:
    """Milliseconds per query kind; `cold` opens a fresh connection (empty page cache of
    SQLite's own, the OS cache is shared with the archive's index alike)."""
    db = sqlite3.connect(path)
    if not cold:
        for _, text in plan:
            search(db, text, scope)
    by_kind: dict[str, list[float]] = {}
    for kind, text in plan:
        started = time.perf_counter()
        search(db, text, scope)
        by_kind.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
    db.close()
    return by_kind


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
