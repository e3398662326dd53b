""" "Did you mean" from the vocabulary's trigram index (pg_trgm), checked against the scope.

The vocabulary holds every word of titles, speakers and page text as typed. It includes
words of pages the user may not see, so a candidate is only offered when it finds something
within the user's scope, and the corrected query as a whole only when it has results there:
what a user is offered is always a word of what that user may see.
"""

from __future__ import annotations

from psycopg import Connection, sql

from archive.fulltext.analysis import analyse_words
from archive.fulltext.postgres.compiler import Compiled, compile_query, scope_condition
from archive.fulltext.postgres.schema import PAGES, VOCABULARY
from archive.fulltext.scope import AccessScope
from archive.fulltext.spelling import CANDIDATES, MIN_WORD, edit_distance, max_distance

TRIGRAM_CANDIDATES = 30


def suggest(conn: Connection, schema: str, compiled: Compiled, scope: AccessScope) -> str | None:
    """A corrected query text with results in scope, or None."""
    replacements: list[tuple[int, int, str]] = []
    for word in compiled.words:
        analysed = analyse_words(word.text)
        if len(analysed) != 1 or analysed[0].exact_whole or len(analysed[0].exact_parts) != 1:
            continue
        exact = analysed[0].exact_parts[0]
        if len(exact) < MIN_WORD or not exact.isalpha() or _found(conn, schema, exact, scope):
            continue
        for candidate in candidates(conn, schema, exact):
            if _found(conn, schema, candidate, scope):
                replacements.append((word.start, word.end, candidate))
                break
    if not replacements:
        return None
    corrected = compiled.text
    for start, end, candidate in sorted(replacements, reverse=True):
        corrected = corrected[:start] + candidate + corrected[end:]
    again = compile_query(corrected, schema)
    if again.notices or not _exists(conn, schema, again.where, scope):
        return None
    return corrected


def candidates(conn: Connection, schema: str, word: str) -> list[str]:
    """Vocabulary words near `word` (same first letter, few edits), closest first."""
    rows = conn.execute(
        sql.SQL(
            "SELECT word FROM {s}.{v} WHERE word %% %s AND word <> %s "
            "ORDER BY similarity(word, %s) DESC, word LIMIT %s"
        ).format(s=sql.Identifier(schema), v=sql.Identifier(VOCABULARY)),
        (word, word, word, TRIGRAM_CANDIDATES),
    ).fetchall()
    limit = max_distance(word)
    near = [w for (w,) in rows if w[0] == word[0] and edit_distance(word, w) <= limit]
    return sorted(near, key=lambda w: (edit_distance(word, w), w))[:CANDIDATES]


def _found(conn: Connection, schema: str, word: str, scope: AccessScope) -> bool:
    condition = sql.SQL("p.doc @@ {s}.word_query({w})").format(
        s=sql.Identifier(schema), w=sql.Literal(word)
    )
    return _exists(conn, schema, condition, scope)


def _exists(conn: Connection, schema: str, condition: sql.Composable, scope: AccessScope) -> bool:
    query = sql.SQL("SELECT EXISTS (SELECT 1 FROM {s}.{t} p WHERE ({c}) AND ({scope}))").format(
        s=sql.Identifier(schema), t=sql.Identifier(PAGES), c=condition, scope=scope_condition(scope)
    )
    return bool(conn.execute(query).fetchone()[0])
