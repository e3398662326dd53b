""" "Did you mean": spelling corrections from the index vocabulary, checked against the scope.

Candidates come from the exact fields' vocabulary (Whoosh's DFA-based `terms_within`, so
the word list is skipped through, not scanned). The vocabulary holds words of documents the
user may not see, so a candidate is only used when it finds something within the user's
scope, and the corrected query as a whole is only offered when it has results in scope.
A word that OCR read with low confidence (`unsure_x`) is never a candidate on its own: it
must be found in scope on some page where it is not only that.
"""

from __future__ import annotations

from archive.fulltext.analysis import analyse_words
from archive.fulltext.spelling import CANDIDATES, MIN_WORD, edit_distance, max_distance
from archive.fulltext.whoosh.compiler import CompiledQuery, compile_query, word_node
from archive.fulltext.whoosh.nodes import Node, Term, Without, all_of
from archive.fulltext.whoosh.view import IndexView

SPELLING_FIELDS = ("body_x", "title_x", "people_x")


def suggest(view: IndexView, compiled: CompiledQuery, scope: Node) -> str | None:
    """A corrected query text with results in scope, or None."""
    replacements: list[tuple[int, int, str]] = []
    for word in compiled.words:
        analysed = analyse_words(word.text)
        if len(analysed) != 1 or analysed[0].exact_whole or len(analysed[0].exact_parts) != 1:
            continue
        exact = analysed[0].exact_parts[0]
        if len(exact) < MIN_WORD or not exact.isalpha():
            continue
        if _count(view, all_of([word_node(analysed[0]), scope])):
            continue
        for candidate in _candidates(view, exact):
            found = analyse_words(candidate)
            if found and _count(view, _sure(all_of([word_node(found[0]), scope]), candidate)):
                replacements.append((word.start, word.end, candidate))
                break
    if not replacements:
        return None
    corrected = compiled.text
    for start, end, candidate in sorted(replacements, reverse=True):
        corrected = corrected[:start] + candidate + corrected[end:]
    again = compile_query(corrected, view.searcher.reader(), view.scope_counter(scope))
    if again.notices or not _count(view, all_of([again.node, scope])):
        return None
    return corrected


def _sure(node: Node, candidate: str) -> Node:
    """`node` without the pages where `candidate` is only a low-confidence OCR reading."""
    return Without(node, Term("unsure_x", candidate, 0.0))


def _count(view: IndexView, node: Node) -> int:
    """How many live documents match (the node carries the scope)."""
    return len(view.match(node))


def _candidates(view: IndexView, word: str) -> list[str]:
    """Indexed words near `word`, closest and most frequent first."""
    maxdist = max_distance(word)
    found: dict[str, int] = {}
    for reader, _ in view.searcher.reader().leaf_readers():
        for fieldname in SPELLING_FIELDS:
            for candidate in reader.terms_within(fieldname, word, maxdist, prefix=1):
                if candidate != word and candidate.isalpha():
                    found[candidate] = found.get(candidate, 0) + reader.doc_frequency(
                        fieldname, candidate
                    )
    ranked = sorted(found, key=lambda c: (edit_distance(word, c), -found[c], c))
    return ranked[:CANDIDATES]
