"""Spelling helpers shared by the backends' "did you mean" (engine-neutral)."""

from __future__ import annotations

MIN_WORD = 4  # shorter words are not corrected
CANDIDATES = 6  # candidates tried per word, closest first


def max_distance(word: str) -> int:
    """How many edits a correction of `word` may make: 1 for short words, else 2."""
    return 1 if len(word) <= 5 else 2


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment) of two short words."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]
