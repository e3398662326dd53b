"""The lean posting representation: what each text field keeps per document (SCHEMA_VERSION 2).

Every text field still has two forms, but they no longer cost the same:

- `<name>_s` (folded and stemmed) keeps positions, in `CompactPositions`: the position
  deltas as unsigned varints, about 1 byte each, where Whoosh's `Positions` pickles a list
  behind a 4-byte count (about 14 bytes for a word seen once). Phrases are matched here.
- `<name>_x` (exact) keeps only the count, in the posting's weight (`Counts`): enough for
  the BM25 score that ranks an exact match above a stemmed one. An exact phrase is a folded
  phrase whose exact words are all on the page (see `compiler.phrase_node`).

`LeanText.index()` builds the postings straight from the shared tokeniser
(`analysis.cut_tokens`, cached between the two forms of one text), without Whoosh's
per-token `Token` objects. Both formats are Whoosh `Format` subclasses, Whoosh's public
extension point, so Whoosh's own matchers (phrase queries included) read them unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator

from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import TEXT
from whoosh.formats import Existence, Format

from archive.fulltext.analysis import EXACT, FOLDED, cut_tokens, exact_form, folded_form
from archive.fulltext.whoosh.internals import joined_values_reader, joined_values_writer
from archive.fulltext.whoosh.tokenizer import ArchiveTokenizer


class LeanCodec(W3Codec):
    """Whoosh's codec without per-block field-length statistics, with large posting blocks
    whose positions are joined (`internals.JoinedValuesWriter`).

    Writing a posting looked up its document's field length in the column file just written
    (a fifth of the writer's time), only to keep each block's shortest and longest length
    for Whoosh's top-N skipping, which the NumPy evaluator never uses: it reads the lengths
    column itself. Segments name their codec class in the index's table of contents, so
    this class stays here (moving it means a new SCHEMA_VERSION).
    """

    length_stats = False

    def __init__(self, blocklimit: int = 1024, compression: int = 3, inlinelimit: int = 1):
        # Posting blocks of 1,024 instead of Whoosh's 128: the evaluator reads whole posting
        # lists, and each block costs a call to zlib and pickle on the way in and out
        # (smaller and faster both ways; Whoosh's own matchers read either).
        super().__init__(blocklimit, compression, inlinelimit)

    def postings_writer(self, dbfile, byteids=False):
        return joined_values_writer(self, dbfile, byteids)

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        return joined_values_reader(self, dbfile, terminfo, format_, term, scorer)


def encode_positions(positions: list[int]) -> bytes:
    """Ascending positions as varint deltas (7 bits a byte, high bit = more bytes follow)."""
    deltas = [positions[0]] + [b - a for a, b in zip(positions, positions[1:], strict=False)]
    if max(deltas) < 0x80:  # nearly always: one byte each, encoded in C
        return bytes(deltas)
    out = bytearray()
    for delta in deltas:
        while delta >= 0x80:
            out.append((delta & 0x7F) | 0x80)
            delta >>= 7
        out.append(delta)
    return bytes(out)


def decode_positions(value: bytes) -> list[int]:
    """The positions `encode_positions` wrote."""
    positions, position, shift, delta = [], 0, 0, 0
    for byte in value:
        delta |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
            continue
        position += delta
        positions.append(position)
        shift = delta = 0
    return positions


class CompactPositions(Format):
    """Positions as varint deltas; the count is the number of varints (bytes below 0x80)."""

    posting_size = -1  # variable

    def __init__(self, field_boost: float = 1.0, **options: object):
        self.field_boost = field_boost
        self.options = options

    def word_values(self, value, analyzer, **kwargs):
        """Whoosh's generic path (LeanText.index is the fast one); same output."""
        found: dict[str, list[int]] = {}
        for token in analyzer(value, positions=True, **kwargs):
            found.setdefault(token.text, []).append(token.pos)
        for text, positions in found.items():
            count = len(positions)
            yield text, count, count * self.field_boost, encode_positions(positions)

    def decode_positions(self, value: bytes) -> list[int]:
        return decode_positions(value)

    def decode_frequency(self, value: bytes) -> int:
        return sum(byte < 0x80 for byte in value)

    def decode_weight(self, value: bytes) -> float:
        return self.decode_frequency(value) * self.field_boost

    def decode_position_boosts(self, value: bytes) -> list[tuple[int, float]]:
        return [(position, 1.0) for position in decode_positions(value)]

    def combine(self, values) -> bytes:
        found: set[int] = set()
        for value in values:
            found.update(decode_positions(value))
        return encode_positions(sorted(found))


class Counts(Existence):
    """No value per posting: the count of a word lives in the posting's weight, which is
    what BM25 reads (Whoosh's `Existence` would also report a frequency of 1)."""

    def word_values(self, value, analyzer, **kwargs):
        counts: dict[str, int] = {}
        for token in analyzer(value, **kwargs):
            counts[token.text] = counts.get(token.text, 0) + 1
        return ((text, n, n * self.field_boost, b"") for text, n in counts.items())


class LeanText(TEXT):
    """A text field of one form: exact counts, or folded positions."""

    def __init__(self, mode: str):
        positional = mode == FOLDED
        super().__init__(analyzer=ArchiveTokenizer(mode), phrase=positional)
        self.format = CompactPositions() if positional else Counts()
        self.mode = mode

    def index(self, value: str, **kwargs: object) -> Iterator[tuple[bytes, int, float, bytes]]:
        """(term bytes, count, weight, value) per distinct term, from the shared tokeniser."""
        if not isinstance(value, str):
            raise ValueError(f"{value!r} is not text")
        if self.mode == EXACT:
            counts: dict[str, int] = {}
            for raw, *_ in cut_tokens(value):
                term = exact_form(raw)
                counts[term] = counts.get(term, 0) + 1
            for term, n in counts.items():
                yield term.encode("utf-8"), n, float(n), b""
            return
        found: dict[str, list[int]] = {}
        for raw, pos, *_ in cut_tokens(value):
            term = folded_form(raw)
            positions = found.get(term)
            if positions is None:
                found[term] = [pos]
            else:
                positions.append(pos)
        for term, positions in found.items():
            count = len(positions)
            yield term.encode("utf-8"), count, float(count), encode_positions(positions)
