"""Word lists per language, taken from Tesseract's own dictionaries, to judge text layers.

Each installed `<lang>.traineddata` carries a word list (a DAWG, ~300,000 words for eng, rus
and aze) that Tesseract's tools unpack (`combine_tessdata -e`, `dawg2wordlist`, 0.6 s per
language). The lowercased list is written once into a cache folder and read from there
(0.1 s); a process keeps the sets it loaded. No word list is committed to this repository
or downloaded: where Tesseract is missing there are none, and the dictionary test is
skipped (the other tests of `textquality` still apply).
"""

from __future__ import annotations

import functools
import logging
import subprocess
import tempfile
from pathlib import Path

from archive.fileio import atomic_write

logger = logging.getLogger(__name__)

TOOL_TIMEOUT_S = 60


@functools.cache
def word_list(tessdata: str, language: str, cache_dir: str) -> frozenset[str]:
    """Lowercased words of one Tesseract language; empty when they cannot be had."""
    cached = Path(cache_dir) / f"{language}.words"
    if not cached.exists():
        words = unpack_words(Path(tessdata), language)
        if not words:
            return frozenset()
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        atomic_write(cached, "\n".join(sorted(words)).encode(), mode=0o644)
    return frozenset(cached.read_text(encoding="utf-8").split("\n"))


def unpack_words(tessdata: Path, language: str) -> set[str]:
    """Run Tesseract's tools on `<language>.traineddata`; an empty set on any failure."""
    traineddata = tessdata / f"{language}.traineddata"
    if not traineddata.is_file():
        return set()
    with tempfile.TemporaryDirectory(prefix="wordlist-") as tmp:
        # combine_tessdata names the component to extract by the target file's extension.
        dawg, charset = Path(tmp) / "x.lstm-word-dawg", Path(tmp) / "x.lstm-unicharset"
        listing = Path(tmp) / "words"
        try:
            run(["combine_tessdata", "-e", str(traineddata), str(dawg), str(charset)])
            run(["dawg2wordlist", str(charset), str(dawg), str(listing)])
            text = listing.read_text(encoding="utf-8", errors="replace")
        except (OSError, subprocess.SubprocessError) as exc:
            logger.warning("no word list for %s: %s", language, exc)
            return set()
    return {line.strip().lower() for line in text.splitlines() if line.strip()}


def run(command: list[str]) -> None:
    subprocess.run(command, capture_output=True, timeout=TOOL_TIMEOUT_S, check=True)  # noqa: S603
