"""The search schema in PostgreSQL: text search configurations, tables, indexes, versions.

Everything lives in one PostgreSQL schema of its own (`archive_search` by default), so that
the application's migrations, backups and restores, which work on the default schema, never
see it: the search index is a cache of the database, rebuilt by `flask reindex`.

One row per page (a photo is one row). `doc` is the page's searchable text as a weighted
`tsvector` (title A; speakers, tags and the programme's words B; page text C; organisations
and event D), made twice and concatenated: once with the configuration of the page's language
(`english`, `russian`, or `simple` with `unaccent` for Azerbaijani and unknown languages; all
without stop words, so "beta and gamma" stays an exact phrase) and once with `simple` alone,
the exact form. A query looks a word up in every form, so stemming finds "governments" for
"government" and the exact spelling earns a second cover, ranking it first. A one-position
separator between the parts keeps a phrase from running from one field into the next.
`people_v`, `orgs_v` and `event_v` hold the fields that `speaker:`, `org:` and `event:`
search alone. `strong` lists, without positions, the page's words that are in its title,
speakers, tags or programme or at least STRONG times in its text, `dominant` those in its
title or at least DOMINANT times in its text, and `repeated` those seen REPEATED times but
fewer than STRONG (see `functions`): a search ranks the pages where a searched word is
dominant or strong first, and the others only when they are needed (see `searching`). `unsure`
holds the words that OCR read with low confidence (never offered as "did you mean"),
`recognised` whether OCR read any of the page, `run` the complete page of the page's
Beamer overlay run (see `overlays`), or 0.

The indexer COPYs plain rows into a temporary table and one INSERT ... SELECT per batch
computes every vector (`insert_vectors`): the item's fields once per item, the text once
per page.

`prepare()` normalises text before the parser sees it, the same way for pages and queries:
"ə" folds to "e" (unaccent's rules lack it), names joined by `. _ / '` become hyphenated words
so that each part and the whole are found (as the shared analyser does), and CJK characters
are spaced so that a phrase of characters finds a word inside a run.
"""

from __future__ import annotations

from psycopg import Connection, sql

from archive.fulltext.documents import PHOTO, PRESENTATION
from archive.fulltext.postgres.functions import functions

# Bump whenever tables, configurations, prepare() or what rows hold change: a mismatch asks
# for a reindex.
# 2: the programme (programme, session_id, session_label), recognised text (unsure,
# recognised), the words that rank a page early (repeated, strong), vectors computed from
# a staging table.
# 3: overlay runs (run), title_phrase() for the title phrase bonus.
# 4: `year` is the event's year (a photo's camera date no longer decides).
# 5: the item's fields parsed once per item, `prominent()` (rows unchanged; new functions).
# 6: `all_words()` for the level of pages holding every searched word (rows unchanged).
# 7: `dominant`, the words of the title and those seen DOMINANT times (two more levels).
SCHEMA_VERSION = 7
DEFAULT_SCHEMA = "archive_search"
PAGES = "pages"
VOCABULARY = "vocabulary"
KIND_CODES = {PRESENTATION: 1, PHOTO: 2}
KIND_NAMES = {code: name for name, code in KIND_CODES.items()}
# Weights of D, C, B, A for ts_rank_cd: title 1.0, speakers and tags 0.8, text 0.35, rest 0.15.
RANK_WEIGHTS = "{0.15, 0.35, 0.8, 1.0}"
# English and Russian pages get their language's stemmer; Azerbaijani pages are folded but
# not stemmed; pages of any other or no language get `russian`, which stems by script (the
# English stemmer for ASCII words, the Russian one for Cyrillic), as the shared analyser does.
LANGUAGE_CONFIGS = {"en": "english", "ru": "russian", "az": "folded"}
DEFAULT_CONFIG = "russian"
FOLDED = "folded"

STAGING = "incoming"  # the temporary table rows are COPYed into
# Columns written by the indexer, in COPY order, with their types; the vectors are computed
# from them (VECTORS).
COLUMN_TYPES = (
    ("item_id", "integer"), ("page", "integer"), ("kind", "smallint"), ("event_id", "integer"),
    ("event_slug", "text"), ("event_title", "text"), ("shared", "boolean"),
    ("grants", "integer[]"), ("lang", "text"), ("orgs", "text[]"), ("item_date", "integer"),
    ("date_from", "integer"), ("date_to", "integer"), ("year", "integer"),
    ("session_id", "integer"), ("title", "text"), ("speakers", "text[]"), ("label", "text"),
    ("body", "text"), ("people_text", "text"), ("tags_text", "text"), ("orgs_text", "text"),
    ("event_text", "text"), ("programme", "text"), ("session_label", "text"),
    ("unsure", "text[]"), ("recognised", "boolean"), ("config", "regconfig"),
    ("run", "integer"),
)  # fmt: skip
COLUMNS = tuple(name for name, _ in COLUMN_TYPES)
NULLABLE = {"label"}
# The item's fields that its vectors are made of besides the page's text, in the order
# `head_vectors` takes them: parsed once per item (see `insert_vectors`).
ITEM_FIELDS = (
    "config", "title", "people_text", "tags_text", "programme", "orgs_text", "event_text",
)  # fmt: skip
VECTORS = ("doc", "repeated", "strong", "dominant", "people_v", "orgs_v", "event_v")


def _configurations(s: sql.Identifier, unaccent: sql.Composable) -> list[sql.Composable]:
    """Snowball stemmers without stop words, and the three configurations."""
    statements = []
    for language in ("english", "russian"):
        statements.append(
            sql.SQL(
                "CREATE TEXT SEARCH DICTIONARY {s}.{d} (TEMPLATE = snowball, Language = {l})"
            ).format(s=s, d=sql.Identifier(f"{language}_stem"), l=sql.SQL(language))
        )
    ascii_types = sql.SQL("asciiword, asciihword, hword_asciipart")
    other_types = sql.SQL("word, hword, hword_part")
    stems = {
        "english": ("english_stem", "english_stem"),
        "russian": ("english_stem", "russian_stem"),
    }
    for name, (ascii_stem, other_stem) in stems.items():
        target = sql.SQL("{s}.{n}").format(s=s, n=sql.Identifier(name))
        statements += [
            sql.SQL("CREATE TEXT SEARCH CONFIGURATION {t} (COPY = pg_catalog.simple)").format(
                t=target
            ),
            sql.SQL(
                "ALTER TEXT SEARCH CONFIGURATION {t} ALTER MAPPING FOR {k} WITH {s}.{d}"
            ).format(t=target, k=ascii_types, s=s, d=sql.Identifier(ascii_stem)),
            sql.SQL(
                "ALTER TEXT SEARCH CONFIGURATION {t} ALTER MAPPING FOR {k} WITH {u}, {s}.{d}"
            ).format(t=target, k=other_types, u=unaccent, s=s, d=sql.Identifier(other_stem)),
        ]
    folded = sql.SQL("{s}.folded").format(s=s)
    statements += [
        sql.SQL("CREATE TEXT SEARCH CONFIGURATION {t} (COPY = pg_catalog.simple)").format(t=folded),
        sql.SQL(
            "ALTER TEXT SEARCH CONFIGURATION {t} ALTER MAPPING FOR {a}, {o} WITH {u}, simple"
        ).format(t=folded, a=ascii_types, o=other_types, u=unaccent),
    ]
    return statements


def config_name(schema: str, language: str | None) -> str:
    """The text search configuration for a page in `language` (an ISO code or None)."""
    return f"{schema}.{LANGUAGE_CONFIGS.get(language or '', DEFAULT_CONFIG)}"


def _column_list(extra: str = "") -> str:
    """The written columns with their types (NOT NULL but for NULLABLE), for CREATE TABLE."""
    return (
        ", ".join(
            f"{name} {kind}" + ("" if name in NULLABLE else " NOT NULL")
            for name, kind in COLUMN_TYPES
        )
        + extra
    )


def pages_table(s: sql.Identifier, name: str, suffix: str) -> list[sql.Composable]:
    """CREATE TABLE for one generation of pages, without its indexes (made after loading)."""
    t = sql.Identifier(name)
    vectors = "".join(f", {v} tsvector NOT NULL" for v in VECTORS)
    return [
        sql.SQL("CREATE TABLE {s}.{t} (" + _column_list(vectors) + ")").format(s=s, t=t),
        # Out of line, uncompressed: pglz saved under a tenth of a vector's size, and cost
        # time on every write and on every read by a ranking or an index build.
        sql.SQL(
            "ALTER TABLE {s}.{t} ALTER COLUMN body SET STORAGE EXTERNAL, "
            "ALTER COLUMN doc SET STORAGE EXTERNAL"
        ).format(s=s, t=t),
        sql.SQL("CREATE TABLE {s}.{v} (word text PRIMARY KEY)").format(
            s=s, v=sql.Identifier(f"{VOCABULARY}{suffix}")
        ),
    ]


def staging_table() -> sql.Composable:
    """The session's temporary table that rows are COPYed into before their vectors are
    computed; emptied at every commit."""
    return sql.SQL(
        "CREATE TEMPORARY TABLE IF NOT EXISTS {t} (" + _column_list() + ") ON COMMIT DELETE ROWS"
    ).format(t=sql.Identifier(STAGING))


def insert_vectors(s: sql.Identifier, target: sql.Composable) -> sql.Composable:
    """Move the staged rows into `target`, computing every vector in one statement: the
    item's fields once per item (`head_vectors`: the rows of an item share them), the text
    once per page."""
    columns = sql.SQL(", ").join(map(sql.Identifier, COLUMNS))
    staged = sql.SQL(", ").join(sql.SQL("i.{}").format(sql.Identifier(c)) for c in COLUMNS)
    return sql.SQL(
        "WITH heads AS MATERIALIZED (SELECT k.*, h.* FROM (SELECT DISTINCT {item_fields} "
        "FROM {staging}) AS k CROSS JOIN LATERAL {s}.head_vectors({item_fields}) AS h), "
        "pages AS MATERIALIZED (SELECT {staged}, h.people_v, h.orgs_v, h.event_v, "
        "h.head_stemmed || b.stemmed || h.tail_stemmed AS stemmed, "
        "h.head_exact || b.exact || h.tail_exact AS exact "
        "FROM {staging} AS i JOIN heads AS h USING ({item_fields}) "
        "CROSS JOIN LATERAL {s}.body_vectors(i.config, i.body) AS b) "
        "INSERT INTO {target} ({columns}, {vectors}) "
        "SELECT {plain}, p.stemmed || p.exact, w.repeated, w.strong, w.dominant, p.people_v, "
        "p.orgs_v, p.event_v FROM pages AS p CROSS JOIN LATERAL {s}.prominent(p.stemmed) AS w"
    ).format(
        s=s,
        target=target,
        columns=columns,
        vectors=sql.SQL(", ").join(map(sql.Identifier, VECTORS)),
        staged=staged,
        plain=sql.SQL(", ").join(sql.SQL("p.{}").format(sql.Identifier(c)) for c in COLUMNS),
        item_fields=sql.SQL(", ").join(map(sql.Identifier, ITEM_FIELDS)),
        staging=sql.Identifier(STAGING),
    )


def pages_indexes(s: sql.Identifier, name: str, suffix: str) -> list[list[sql.Composable]]:
    """The indexes of a loaded pages table in two groups that may be built at once: the GIN
    index of `doc` (the longest), and the key, the event index and the field vectors' GIN
    indexes. `pages_key` makes the key a constraint afterwards.

    The GIN index of `doc` keeps no pending list (fastupdate off): a writer adds an item's
    words at once, so that no search has to read an unsorted list of recent words."""
    t = sql.Identifier(name)
    others = [
        sql.SQL("CREATE UNIQUE INDEX {i} ON {s}.{t} (item_id, page)").format(
            s=s, t=t, i=sql.Identifier(f"pages_key{suffix}")
        ),
        sql.SQL("CREATE INDEX {i} ON {s}.{t} (event_id)").format(
            s=s, t=t, i=sql.Identifier(f"pages_event{suffix}")
        ),
    ]
    for column in ("people_v", "orgs_v", "event_v"):
        others.append(
            sql.SQL("CREATE INDEX {i} ON {s}.{t} USING gin ({c})").format(
                s=s, t=t, c=sql.Identifier(column), i=sql.Identifier(f"pages_{column}{suffix}")
            )
        )
    doc = sql.SQL("CREATE INDEX {i} ON {s}.{t} USING gin (doc) WITH (fastupdate = off)").format(
        s=s, t=t, i=sql.Identifier(f"pages_doc{suffix}")
    )
    return [[doc], others]


def pages_key(s: sql.Identifier, name: str, suffix: str) -> sql.Composable:
    """The primary key of a pages table, from its unique index (see pages_indexes)."""
    return sql.SQL("ALTER TABLE {s}.{t} ADD CONSTRAINT {k} PRIMARY KEY USING INDEX {k}").format(
        s=s, t=sql.Identifier(name), k=sql.Identifier(f"pages_key{suffix}")
    )


def vocabulary_index(s: sql.Identifier, suffix: str, trgm: sql.Composable) -> sql.Composable:
    return sql.SQL("CREATE INDEX {i} ON {s}.{v} USING gin (word {o})").format(
        s=s,
        v=sql.Identifier(f"{VOCABULARY}{suffix}"),
        i=sql.Identifier(f"vocabulary_trgm{suffix}"),
        o=trgm,
    )


def install(conn: Connection, schema: str) -> None:
    """Create the schema, its extensions, configurations, functions and first tables, once;
    after an upgrade, the functions of this version (the tables wait for a rebuild).

    Several processes may start at the same moment: an advisory lock makes one of them do it
    and the others find it done."""
    s = sql.Identifier(schema)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s), 0)", (f"{schema}:install",))
        version = installed_version(conn, schema)
        if version == SCHEMA_VERSION:
            return
        if version is not None:  # another version's tables: `flask reindex` replaces them
            for statement in functions(schema):
                conn.execute(statement)
            return
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {s}").format(s=s))
        for extension in ("unaccent", "pg_trgm"):
            conn.execute(
                sql.SQL("CREATE EXTENSION IF NOT EXISTS {e} WITH SCHEMA {s}").format(
                    e=sql.Identifier(extension), s=s
                )
            )
        unaccent = sql.SQL("{x}.unaccent").format(
            x=sql.Identifier(extension_schema(conn, "unaccent"))
        )
        for statement in _configurations(s, unaccent) + functions(schema):
            conn.execute(statement)
        for statement in pages_table(s, PAGES, ""):
            conn.execute(statement)
        for group in pages_indexes(s, PAGES, ""):
            for statement in group:
                conn.execute(statement)
        conn.execute(pages_key(s, PAGES, ""))
        conn.execute(vocabulary_index(s, "", trigram_ops(conn)))
        conn.execute(
            sql.SQL("CREATE TABLE {s}.meta (key text PRIMARY KEY, value text NOT NULL)").format(s=s)
        )
        conn.execute(sql.SQL("CREATE TABLE {s}.journal (item_id integer NOT NULL)").format(s=s))
        conn.execute(
            sql.SQL(
                "INSERT INTO {s}.meta VALUES ('schema_version', %s), ('generation', '1')"
            ).format(s=s),
            (str(SCHEMA_VERSION),),
        )


def installed_version(conn: Connection, schema: str) -> int | None:
    """The schema version of the tables in use, or None when nothing is installed."""
    if not _installed(conn, schema):
        return None
    row = conn.execute(
        sql.SQL("SELECT value FROM {s}.meta WHERE key = 'schema_version'").format(
            s=sql.Identifier(schema)
        )
    ).fetchone()
    return int(row[0]) if row and row[0].isdigit() else 0


def _installed(conn: Connection, schema: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (f"{schema}.meta",)).fetchone()
    return bool(row[0])


def extension_schema(conn: Connection, extension: str) -> str:
    """Where an extension lives (it may have been installed before, in another schema)."""
    row = conn.execute(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = %s",
        (extension,),
    ).fetchone()
    return row[0] if row else "public"


def trigram_ops(conn: Connection) -> sql.Composable:
    return sql.SQL("{x}.gin_trgm_ops").format(x=sql.Identifier(extension_schema(conn, "pg_trgm")))
