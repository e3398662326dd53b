"""The archive's tokeniser as a Whoosh analyzer, for the schema's exact and folded fields.

The cutting and normalising live in `archive.fulltext.analysis`, shared with query parsing
and highlighting; this class only hands its tokens to Whoosh in the form Whoosh expects.
"""

from __future__ import annotations

from collections.abc import Iterator

from whoosh.analysis import Token, Tokenizer

from archive.fulltext.analysis import (
    EXACT,
    FOLDED,
    cut_tokens,
    exact_form,
    folded_form,
    normalise,
)


class ArchiveTokenizer(Tokenizer):
    """Whoosh tokenizer producing the exact or the folded form of `iter_raw_tokens`."""

    def __init__(self, mode: str = EXACT):
        if mode not in (EXACT, FOLDED):
            raise ValueError(f"unknown analysis mode {mode!r}")
        self.mode = mode

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ArchiveTokenizer) and other.mode == self.mode

    def __hash__(self) -> int:
        return hash((ArchiveTokenizer, self.mode))

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = value
            token.text = normalise(value, self.mode)
            token.boost = 1.0
            token.pos = start_pos
            token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        norm = exact_form if self.mode == EXACT else folded_form
        for text, pos, start, end, _ in cut_tokens(value):
            token.text = norm(text)
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = text
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token
