"""Mutating valid files for fuzzing: edits as plain tuples, so that Hypothesis can shrink them
and a benchmark can print them for reproduction.

    ("flip", offset, xor)               flip bits of one byte
    ("truncate", offset)                cut the file there
    ("insert", offset, bytes)           insert random or structural bytes
    ("duplicate", offset, length, dest) copy a chunk to another place

Offsets wrap around the current length, so any edit applies to any file.
"""

from __future__ import annotations

import random
from pathlib import Path

from archive.ingest.errors import ERRORS_BY_CODE, IngestError
from archive.ingest.extract import ExtractSettings, run_extraction
from archive.ingest.sniff import sniff_file
from tests.support import samples

EDIT_KINDS = ("flip", "truncate", "insert", "token", "duplicate")
TOKENS = [b"obj", b"endobj", b"stream", b"endstream", b"xref", b"trailer", b"%%EOF",
          b"/Length 999999999", b"<<", b">>", b"/Page", b"\xff\xd8", b"\xff\xd9", b"\xff\xc0",
          b"IDAT", b"IHDR", b"VP8 ", b"VP8L", b"\x00" * 16, b"\xff" * 16]  # fmt: skip


def base_files() -> dict[str, tuple[str, bytes]]:
    """Small valid files to mutate: kind and bytes, by file name."""
    return {
        "deck.pdf": ("presentation", samples.make_pdf(2, "fuzzdeck")),
        "photo.jpg": ("photo", samples.make_image("JPEG", (96, 64), quality=60)),
        "photo.png": ("photo", samples.make_image("PNG", (64, 48))),
        "photo.webp": ("photo", samples.make_image("WEBP", (64, 48))),
    }


def random_edits(rng: random.Random, size: int) -> list[tuple]:
    """One to four random edits for a file of `size` bytes."""
    edits = []
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(EDIT_KINDS)
        at = rng.randrange(max(1, size))
        if kind == "flip":
            edits.append(("flip", at, rng.randint(1, 255)))
        elif kind == "truncate":
            edits.append(("truncate", at))
        elif kind == "insert":
            edits.append(("insert", at, rng.randbytes(rng.randint(1, 64))))
        elif kind == "token":
            edits.append(("insert", at, rng.choice(TOKENS)))
        else:
            edits.append(("duplicate", at, rng.randint(1, 2048), rng.randint(0, size)))
    return edits


def mutate(data: bytes, edits: list[tuple]) -> bytes:
    """Apply `edits` in order."""
    buf = bytearray(data)
    for edit in edits:
        if not buf:
            break
        at = edit[1] % len(buf)
        if edit[0] == "flip":
            buf[at] ^= edit[2]
        elif edit[0] == "truncate":
            del buf[at:]
        elif edit[0] == "insert":
            buf[at:at] = edit[2]
        else:
            chunk = bytes(buf[at : at + edit[2]])
            dest = edit[3] % (len(buf) + 1)
            buf[dest:dest] = chunk
    return bytes(buf)


def extract_mutant(name: str, kind: str, data: bytes, work: Path, settings: ExtractSettings) -> str:
    """Sniff and extract one file as the pipeline does; return "ok" or the `IngestError`
    code. Any other exception propagates, and so does an error that does not name the file."""
    path = work / name
    path.write_bytes(data)
    out = work / "out"
    try:
        try:
            kind = sniff_file(path, name).kind
        except IngestError as exc:
            check_error(exc, name)
            # the extractors must cope with what sniffing would have rejected, too
        run_extraction(kind, path, name, out, settings)
        return "ok"
    except IngestError as exc:
        check_error(exc, name)
        return exc.code
    finally:
        for child in out.glob("*") if out.exists() else ():
            child.unlink()


class BadError(AssertionError):
    """An IngestError that breaks the contract (does not name the file, unknown type)."""


def check_error(exc: IngestError, name: str) -> None:
    if name not in str(exc):
        raise BadError(f"message does not name the file: {exc}")
    if type(exc) not in ERRORS_BY_CODE.values():
        raise BadError(f"not one of the typed errors: {type(exc).__name__}: {exc}")
