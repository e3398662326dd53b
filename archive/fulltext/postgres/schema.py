"""The search schema in PostgreSQL: text search configurations, tables, indexes, versions.

Everything lives in one PostgreSQL schema of its own (`archive_search` by default), so that
the application's migrations, backups and restores, which work on the default schema, never
see it: the search index is a cache of the database, rebuilt by `flask reindex`.

One row per page (a photo is one row). `doc` is the page's searchable text as a weighted
`tsvector` (title A, speakers and tags B, page text C, organisations and event D), made twice
and concatenated: once with the configuration of the page's language (`english`, `russian`,
or `simple` with `unaccent` for Azerbaijani and unknown languages; all without stop words, so
"beta and gamma" stays an exact phrase) and once with `simple` alone, the exact form. A query
looks a word up in every form, so stemming finds "governments" for "government" and the exact
spelling earns a second cover, ranking it first. A one-position separator between the parts
keeps a phrase from running from one field into the next. `people_v`, `orgs_v` and `event_v`
hold the fields that `speaker:`, `org:` and `event:` search alone.

`prepare()` normalises text before the parser sees it, the same way for pages and queries:
"ə" folds to "e" (unaccent's rules lack it), names joined by `. _ / '` become hyphenated words
so that each part and the whole are found (as the shared analyser does), and CJK characters
are spaced so that a phrase of characters finds a word inside a run.
"""

from __future__ import annotations

from psycopg import Connection, sql

from archive.fulltext.documents import PHOTO, PRESENTATION

# Bump whenever tables, configurations, prepare() or what rows hold change: a mismatch asks
# for a reindex. 2: `year` is the event's year (a photo's camera date no longer decides).
SCHEMA_VERSION = 2
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
CONFIGS = ("english", "russian", FOLDED)
_CJK = (
    r"\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u31a0-\u31ff\u3400-\u4dbf"
    r"\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f\U00020000-\U0002fa1f"
)
_JOINERS = r"._/''\u2019"  # doubled quote: it sits in an SQL literal
SEPARATOR = "''' '':1'::tsvector"  # a lexeme no query holds: phrases stop at it

# Columns written by the indexer, in COPY order; the tsvectors are generated from them.
COLUMNS = (
    "item_id", "page", "kind", "event_id", "event_slug", "event_title", "shared", "grants",
    "lang", "orgs", "item_date", "date_from", "date_to", "year", "title", "speakers",
    "label", "body", "people_text", "tags_text", "orgs_text", "event_text", "config",
)  # fmt: skip


def _functions(schema: str) -> list[sql.Composable]:
    """prepare() and the vector and query helpers; IMMUTABLE, so generated columns use them."""
    s = sql.Identifier(schema)
    english, russian, folded = (sql.Literal(f"{schema}.{c}") for c in CONFIGS)
    sep = sql.SQL(SEPARATOR)
    return [
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {s}.prepare(t text) RETURNS text LANGUAGE sql "
            "IMMUTABLE PARALLEL SAFE AS $$ SELECT regexp_replace(regexp_replace("
            "translate(coalesce(t, ''), 'əƏ', 'eE'), "
            "'([[:alnum:]])[" + _JOINERS + "]+(?=[[:alnum:]])', '\\1-', 'g'), "
            "'([" + _CJK + "])', ' \\1 ', 'g') $$"
        ).format(s=s),
        # prepare() without the changes that move characters, and with <, > and & out of the
        # way of ts_headline (it drops what looks like markup): snippets are cut from it and
        # mapped back, character by character, onto the page's own text.
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {s}.aligned(t text) RETURNS text LANGUAGE sql "
            "IMMUTABLE PARALLEL SAFE AS $$ SELECT regexp_replace("
            "translate(coalesce(t, ''), 'əƏ<>&', 'eE' || chr(4) || chr(5) || chr(6)), "
            "'([[:alnum:]])[" + _JOINERS + "](?=[[:alnum:]])', '\\1-', 'g') $$"
        ).format(s=s),
        sql.SQL(
            'CREATE OR REPLACE FUNCTION {s}.field(c regconfig, t text, w "char") '
            "RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
            "SELECT setweight(to_tsvector(c, {s}.prepare(t)), w) || {sep} $$"
        ).format(s=s, sep=sep),
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {s}.page_vector(c regconfig, title text, people text, "
            "tags text, body text, other text) RETURNS tsvector LANGUAGE sql IMMUTABLE "
            "PARALLEL SAFE AS $$ SELECT {s}.field(c, title, 'A') || {s}.field(c, people, 'B') "
            "|| {s}.field(c, tags, 'B') || {s}.field(c, body, 'C') || {s}.field(c, other, 'D') "
            "|| {s}.field('simple', title, 'A') || {s}.field('simple', people, 'B') "
            "|| {s}.field('simple', tags, 'B') || {s}.field('simple', body, 'C') "
            "|| {s}.field('simple', other, 'D') $$"
        ).format(s=s),
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {s}.both_forms(c regconfig, t text) RETURNS tsvector "
            "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
            "SELECT {s}.field(c, t, 'D') || {s}.field('simple', t, 'D') $$"
        ).format(s=s),
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {s}.forms(w text) RETURNS tsquery LANGUAGE sql "
            "IMMUTABLE PARALLEL SAFE AS $$ SELECT phraseto_tsquery({e}, w) "
            "|| phraseto_tsquery({r}, w) || phraseto_tsquery({f}, w) "
            "|| phraseto_tsquery('simple', w) $$"
        ).format(e=english, r=russian, f=folded, s=s),
        # A joined name ("file_name") is found as a whole and as its parts in a longer name.
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {s}.word_query(w text) RETURNS tsquery LANGUAGE sql "
            "IMMUTABLE PARALLEL SAFE AS $$ SELECT CASE WHEN strpos({s}.prepare(w), '-') > 0 "
            "THEN {s}.forms({s}.prepare(w)) || {s}.forms(translate({s}.prepare(w), '-', ' ')) "
            "ELSE {s}.forms({s}.prepare(w)) END $$"
        ).format(s=s),
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {s}.prefix_query(w text) RETURNS tsquery LANGUAGE sql "
            "IMMUTABLE PARALLEL SAFE AS $$ SELECT to_tsquery('simple', quote_literal("
            "lower({s}.prepare(w))) || ':*') || to_tsquery({f}, "
            "quote_literal({s}.prepare(w)) || ':*') $$"
        ).format(s=s, f=folded),
    ]


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


def pages_table(s: sql.Identifier, name: str, suffix: str) -> list[sql.Composable]:
    """CREATE TABLE for one generation of pages, without its indexes (made after loading)."""
    t = sql.Identifier(name)
    vector = sql.SQL(
        "tsvector GENERATED ALWAYS AS ({s}.page_vector(config, title, people_text, tags_text, "
        "body, orgs_text || ' ' || event_text)) STORED"
    ).format(s=s)
    return [
        sql.SQL(
            "CREATE TABLE {s}.{t} (item_id integer NOT NULL, page integer NOT NULL, "
            "kind smallint NOT NULL, event_id integer NOT NULL, event_slug text NOT NULL, "
            "event_title text NOT NULL, shared boolean NOT NULL, grants integer[] NOT NULL, "
            "lang text NOT NULL, orgs text[] NOT NULL, item_date integer NOT NULL, "
            "date_from integer NOT NULL, date_to integer NOT NULL, year integer NOT NULL, "
            "title text NOT NULL, speakers text[] NOT NULL, label text, body text NOT NULL, "
            "people_text text NOT NULL, tags_text text NOT NULL, orgs_text text NOT NULL, "
            "event_text text NOT NULL, config regconfig NOT NULL, doc {v}, "
            "people_v tsvector GENERATED ALWAYS AS ({s}.both_forms(config, people_text)) STORED, "
            "orgs_v tsvector GENERATED ALWAYS AS ({s}.both_forms(config, orgs_text)) STORED, "
            "event_v tsvector GENERATED ALWAYS AS ({s}.both_forms(config, event_text)) STORED)"
        ).format(s=s, t=t, v=vector),
        sql.SQL("ALTER TABLE {s}.{t} ALTER COLUMN body SET STORAGE EXTERNAL").format(s=s, t=t),
        sql.SQL("CREATE TABLE {s}.{v} (word text PRIMARY KEY)").format(
            s=s, v=sql.Identifier(f"{VOCABULARY}{suffix}")
        ),
    ]


def pages_indexes(s: sql.Identifier, name: str, suffix: str) -> list[sql.Composable]:
    """The key, the GIN indexes of every searched vector and the vocabulary's trigrams."""
    t = sql.Identifier(name)
    statements = [
        sql.SQL("ALTER TABLE {s}.{t} ADD CONSTRAINT {k} PRIMARY KEY (item_id, page)").format(
            s=s, t=t, k=sql.Identifier(f"pages_key{suffix}")
        ),
        sql.SQL("CREATE INDEX {i} ON {s}.{t} (event_id)").format(
            s=s, t=t, i=sql.Identifier(f"pages_event{suffix}")
        ),
    ]
    for column in ("doc", "people_v", "orgs_v", "event_v"):
        statements.append(
            sql.SQL("CREATE INDEX {i} ON {s}.{t} USING gin ({c})").format(
                s=s, t=t, c=sql.Identifier(column), i=sql.Identifier(f"pages_{column}{suffix}")
            )
        )
    return statements


def vocabulary_index(s: sql.Identifier, suffix: str, trgm: sql.Composable) -> sql.Composable:
    return sql.SQL("CREATE INDEX {i} ON {s}.{v} USING gin (word {o})").format(
        s=s,
        v=sql.Identifier(f"{VOCABULARY}{suffix}"),
        i=sql.Identifier(f"vocabulary_trgm{suffix}"),
        o=trgm,
    )


def install(conn: Connection, schema: str) -> None:
    """Create the schema, its extensions, configurations, functions and first tables, once.

    Several processes may start at the same moment: an advisory lock makes one of them do it
    and the others find it done."""
    s = sql.Identifier(schema)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s), 0)", (f"{schema}:install",))
        if _installed(conn, schema):
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
        for statement in _configurations(s, unaccent) + _functions(schema):
            conn.execute(statement)
        for statement in pages_table(s, PAGES, ""):
            conn.execute(statement)
        for statement in pages_indexes(s, PAGES, ""):
            conn.execute(statement)
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
