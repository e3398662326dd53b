"""Text recognition with Tesseract's command-line program (the one home of Tesseract).

Why the command line and not a binding (pytesseract, tesserocr): Tesseract then runs in a
process of its own under the sandbox child, with its own memory ceiling, killed with the
child's process group on a timeout, and a crash in it fails one page, never the worker; no
compiled binding has to match the installed libtesseract. Starting it costs 0.10-0.17 s
(eng to eng+rus+aze, measured here) against 0.2-2 s of recognition per page, and
pytesseract would add temporary files and nothing else. `OMP_THREAD_LIMIT=1`: one core per
worker, as the extraction sandbox uses (Tesseract's OpenMP threads are slower in total).

The output is Tesseract's TSV (one row per word, with its confidence), from which the page
text is rebuilt line by line and the low-confidence words are listed apart.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import re
import resource
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from archive.ingest.errors import ExtractionTimeout, IngestError

# Below this, a "word" is almost always a speck, a rule or a pattern read as letters.
MIN_CONFIDENCE = 20
# Below this, a word is kept for search but never offered as a spelling suggestion.
UNSURE_CONFIDENCE = 70
MEMORY_MB = 1024  # Tesseract's own ceiling: ~250 MB for an A4 page at 300 dpi in 3 languages
LANGUAGE_RE = re.compile(r"^[a-z]{3}(?:_[a-z]+)?$")
LANGUAGE_DIR_RE = re.compile(r'"([^"]+)"')

# ISO 639-1 codes the archive stores (item and event languages) -> Tesseract's names.
TESSERACT_NAMES = {
    "en": "eng", "ru": "rus", "az": "aze", "kk": "kaz", "uk": "ukr", "tr": "tur",
    "de": "deu", "fr": "fra", "es": "spa", "ky": "kir", "uz": "uzb", "be": "bel",
}  # fmt: skip


class OcrFailed(IngestError):
    """Tesseract is missing, lacks a language, or failed on an image."""

    code = "ocr"


@dataclass(frozen=True)
class Recognition:
    """What Tesseract read on one image: lines of text, words it was unsure of, how sure it
    was overall (mean word confidence 0-100, None without words)."""

    text: str
    unsure: tuple[str, ...]
    confidence: float | None
    words: int


@dataclass(frozen=True)
class Tesseract:
    """How to run Tesseract: the program, the languages ("eng+rus") and a time limit."""

    program: str
    languages: str
    timeout_s: float
    memory_mb: int = MEMORY_MB


def recognise_image(image: Path, engine: Tesseract, filename: str, dpi: int | None = None,
                    sparse: bool = False) -> Recognition:  # fmt: skip
    """Run Tesseract on one image file; `sparse` looks for scattered text (photos)."""
    command = [engine.program, str(image), "stdout", "-l", engine.languages]
    command += ["--psm", "11" if sparse else "3"]
    if dpi:
        command += ["--dpi", str(dpi)]
    command.append("tsv")
    try:
        done = subprocess.run(  # noqa: S603 - a fixed program with our own arguments
            command,
            capture_output=True,
            timeout=engine.timeout_s,
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
            preexec_fn=functools.partial(limit_memory, engine.memory_mb),  # noqa: PLW1509
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ExtractionTimeout(
            filename, f"text recognition took longer than {engine.timeout_s:g} s"
        ) from None
    except OSError as exc:
        raise OcrFailed(filename, f"Tesseract could not be started ({exc.strerror})") from None
    if done.returncode < 0:
        name = signal.Signals(-done.returncode).name
        raise OcrFailed(filename, f"Tesseract failed: it crashed ({name})")
    if done.returncode != 0:
        raise OcrFailed(filename, f"Tesseract failed: {last_line(done.stderr)}")
    return parse_tsv(done.stdout.decode("utf-8", "replace"))


def limit_memory(memory_mb: int) -> None:
    """In Tesseract's process, before it starts: its own address-space ceiling."""
    limit = memory_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def last_line(stderr: bytes) -> str:
    lines = [line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return (lines[-1] if lines else "no message")[:200]


def parse_tsv(tsv: str) -> Recognition:
    """Rebuild the text from Tesseract's TSV: words in reading order, one line per text
    line, a blank line between blocks; specks dropped, unsure words listed."""
    lines: dict[tuple[int, int, int], list[str]] = {}
    sure: set[str] = set()
    unsure: dict[str, None] = {}
    confidences: list[float] = []
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        word = (row.get("text") or "").strip()
        confidence = to_float(row.get("conf"))
        if row.get("level") != "5" or not word or confidence < MIN_CONFIDENCE:
            continue
        if not any(ch.isalnum() for ch in word):
            continue
        key = (int(row["block_num"]), int(row["par_num"]), int(row["line_num"]))
        lines.setdefault(key, []).append(word)
        confidences.append(confidence)
        (sure.add if confidence >= UNSURE_CONFIDENCE else unsure.setdefault)(word)
    return Recognition(
        text=join_lines(lines),
        unsure=tuple(w for w in unsure if w not in sure),
        confidence=round(sum(confidences) / len(confidences), 1) if confidences else None,
        words=len(confidences),
    )


def to_float(value: str | None) -> float:
    try:
        return float(value or -1)
    except ValueError:
        return -1.0


def join_lines(lines: dict[tuple[int, int, int], list[str]]) -> str:
    """Lines in Tesseract's order; a blank line where a new block starts."""
    out: list[str] = []
    previous_block = None
    for (block, _, _), words in lines.items():
        if previous_block is not None and block != previous_block:
            out.append("")
        out.append(" ".join(words))
        previous_block = block
    return "\n".join(out)


@functools.cache
def installed(program: str) -> tuple[str, frozenset[str]]:
    """Tesseract's data folder and installed languages; ("", empty) when it is missing."""
    try:
        done = subprocess.run(  # noqa: S603
            [program, "--list-langs"], capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return "", frozenset()
    output = (done.stdout + done.stderr).decode("utf-8", "replace").splitlines()
    folder = next((m.group(1) for m in map(LANGUAGE_DIR_RE.search, output) if m), "")
    languages = frozenset(line.strip() for line in output if LANGUAGE_RE.match(line.strip()))
    return folder, languages


def choose_languages(codes: list[str | None], default: str, program: str) -> str:
    """Tesseract languages for an item: its language or its event's, plus English (slides
    mix in English terms); `default` ("eng+rus") when neither is known. Languages that are
    not installed are left out; OcrFailed when none is left."""
    wanted = [TESSERACT_NAMES.get((c or "").lower(), "") for c in codes if c]
    wanted = [name for name in wanted if name]
    if wanted:
        wanted += ["eng"] + (["rus"] if "aze" in wanted else [])
    else:
        wanted = [name for name in default.split("+") if name]
    _, available = installed(program)
    chosen = [name for name in dict.fromkeys(wanted) if name in available]
    if not chosen:
        missing = "+".join(wanted) or "(none)"
        raise OcrFailed(
            "tesseract",
            f"Tesseract ({program}) is not installed or lacks the languages {missing}",
        )
    return "+".join(chosen)
