"""Finding sessions and talks by their titles, speakers, organisations and rooms.

Each session keeps `search_terms`: the folded and stemmed words (`archive.fulltext.analysis`,
the same forms the search index uses) of the session and of each of its talks, in order,
each text between " | " marks and the whole padded with spaces. A query word is then
`LIKE '% word %'`, a prefix `LIKE '% pre%'` and a phrase `LIKE '% two words %'` on any
database, with no engine of its own; the talks that matched are picked out in Python with
the same rules. The search-box language is read by `archive.fulltext.parser`: words, quoted
phrases, OR, -exclusions and prefixes apply, `speaker:` and `org:` search the same words,
and filters that only items have (year, type, language, date) leave sessions out.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, not_, or_, select, true
from sqlalchemy.orm import selectinload

from archive.extensions import db
from archive.fulltext.analysis import analyse_words, fold
from archive.fulltext.parser import And, Not, Or, Quoted, Word, read_query
from archive.models import Event, ProgrammeSession, Talk

SEPARATOR = " | "
WORD_FILTERS = ("speaker", "org")
NEUTRAL_FILTERS = ("event",)  # the event facet and permissions already narrow the events
MAX_HITS = 10


class NotForProgramme(Exception):
    """The query filters on what only items have; the programme has no answer to it."""


def folded_words(text: str) -> str:
    """The folded, stemmed words of a text, space-separated."""
    return " ".join(p for w in analyse_words(text or "") for p in w.folded_parts)


def talk_texts(talk: Talk) -> list[str]:
    return [talk.title, *(s.name for s in talk.speakers), *(s.organisation for s in talk.speakers)]


def session_texts(session: ProgrammeSession) -> list[str]:
    return [session.title, session.room, *session.chair_list, *session.tag_list]


def terms_of(texts: list[str]) -> str:
    parts = [folded_words(t) for t in texts if t]
    return " " + SEPARATOR.join(p for p in parts if p) + " "


def refresh_search_terms(session: ProgrammeSession) -> None:
    """Recompute what the search page matches for this session and its talks."""
    texts = session_texts(session) + [t for talk in session.talks for t in talk_texts(talk)]
    session.search_terms = terms_of(texts)


@dataclass(frozen=True)
class ProgrammeHit:
    """A session that matched, with the talks of it that matched themselves."""

    session: ProgrammeSession
    event: Event
    talks: list[Talk]


def find_sessions(
    text: str, visible_events: ColumnElement[bool], event_ids: list[int] | None = None
) -> list[ProgrammeHit]:
    """Sessions of the events this user may see whose words match `text` (at most 10)."""
    tree = read_query(text).tree
    if not looks_for_words(tree):
        return []
    try:
        condition = sql_condition(tree)
    except NotForProgramme:
        return []
    query = (
        select(ProgrammeSession)
        .join(Event, Event.id == ProgrammeSession.event_id)
        .where(visible_events, condition)
        .order_by(Event.start_date.desc().nulls_last(), ProgrammeSession.starts_at)
        .options(selectinload(ProgrammeSession.talks).selectinload(Talk.speakers))
        .limit(MAX_HITS)
    )
    if event_ids is not None:
        query = query.where(ProgrammeSession.event_id.in_(event_ids))
    hits = []
    for session in db.session.scalars(query):
        talks = [t for t in session.talks if matches(tree, terms_of(talk_texts(t)))]
        hits.append(ProgrammeHit(session, session.event, talks))
    return hits


def words_of(node) -> Word | Quoted | None:
    """What a node asks to find as words: itself, a speaker:/org: filter's value, or None
    for the event filter (the facet and permissions narrow events already)."""
    if isinstance(node, Word | Quoted):
        return node
    if node.name in WORD_FILTERS:
        if node.quoted:
            return Quoted(node.value)
        return Word(node.value.rstrip("*"), prefix=node.value.endswith("*"))
    if node.name in NEUTRAL_FILTERS:
        return None
    raise NotForProgramme(node.name)


def looks_for_words(node) -> bool:
    if isinstance(node, And | Or):
        return any(looks_for_words(c) for c in node.children)
    if isinstance(node, Not):
        return False
    try:
        words = words_of(node)
    except NotForProgramme:
        return True  # decided (as "nothing") by sql_condition
    return words is not None and bool(word_patterns(words))


def word_patterns(node: Word | Quoted) -> list[str]:
    """LIKE patterns (all required) for one word, phrase or prefix."""
    if isinstance(node, Word) and node.prefix:
        stem = fold(node.text.rstrip("*"))
        return [f"% {stem}%"] if stem.isalnum() else []
    words = analyse_words(node.text)
    if isinstance(node, Quoted):
        phrase = " ".join(p for w in words for p in w.folded_parts)
        return [f"% {phrase} %"] if phrase else []
    return [f"% {p} %" for w in words for p in w.folded_parts]


def sql_condition(node) -> ColumnElement[bool]:
    """The query tree as a condition on `ProgrammeSession.search_terms`."""
    if isinstance(node, And):
        return and_(*(sql_condition(c) for c in node.children))
    if isinstance(node, Or):
        return or_(*(sql_condition(c) for c in node.children))
    if isinstance(node, Not):
        return not_(sql_condition(node.child))
    words = words_of(node)
    patterns = word_patterns(words) if words is not None else []
    return and_(true(), *(ProgrammeSession.search_terms.like(p) for p in patterns))


def matches(node, terms: str) -> bool:
    """The same rules as `sql_condition`, on one text's terms, in Python."""
    if isinstance(node, And):
        return all(matches(c, terms) for c in node.children)
    if isinstance(node, Or):
        return any(matches(c, terms) for c in node.children)
    if isinstance(node, Not):
        return not matches(node.child, terms)
    try:
        words = words_of(node)
    except NotForProgramme:
        return False
    patterns = word_patterns(words) if words is not None else []
    return all(p.strip("%") in terms for p in patterns)
