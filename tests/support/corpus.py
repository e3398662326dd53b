"""Where the shared sample corpus is, what its manifests say, and what every file must become.

Used by the extraction-layer corpus test and by the whole-pipeline corpus import test.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from archive.ingest.errors import ERRORS_BY_CODE

CORPUS = Path(
    os.environ.get("ARCHIVE_CORPUS_DIR")
    or Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
)
# Folders whose every file must come out ready; the rest may be rejected with a reason.
MUST_BE_READY = {
    "pdfs/text",
    "pdfs/slides",
    "pdfs/nonlatin",
    "pdfs/large",
    "pdfs/scanned",
    "photos/orientation",
    "photos/camera",
    "photos/formats",
}
MUST_HAVE_TEXT = {"pdfs/text", "pdfs/slides", "pdfs/nonlatin"}
SPECIFIC_CODES = set(ERRORS_BY_CODE) - {"ingest-error"}


def manifest() -> dict[str, dict[str, str]]:
    """Manifest rows by path relative to the corpus ("pdfs/text/x.pdf")."""
    rows = {}
    for top in ("pdfs", "photos"):
        with open(CORPUS / top / "MANIFEST.tsv", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                rows[f"{top}/{row['file']}"] = row
    return rows
