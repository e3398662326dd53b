"""How often each unreadable-text-layer case occurs in a folder of PDFs, per sub-folder.

    .venv/bin/python bench/text_layers.py ../shared/corpus/pdfs [--list]

Reads every PDF as the archive does (pdfium text, normalised), judges every page with
`archive.ingest.textquality` and the installed Tesseract word lists, and prints per folder
(the corpus MANIFEST's category) how many pages are trusted, empty, thin, or unreadable by
each test. `--list` names every page that is not trusted. Files pdfium cannot open count
as "unopenable" (extraction rejects or repairs them before OCR ever sees them).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive.ingest.errors import IngestError  # noqa: E402
from archive.ingest.ocr import Tesseract  # noqa: E402
from archive.ingest.recognition import OcrSettings, dictionary  # noqa: E402
from archive.ingest.render import open_pdf, read_text_layers  # noqa: E402
from archive.ingest.textnorm import looks_like_cp1251_mojibake, normalise_text  # noqa: E402
from archive.ingest.textquality import assess_pages  # noqa: E402

MAX_PAGES = 400


def judge_file(path: Path, words: frozenset[str]) -> list[tuple[int, str]]:
    """(page number, verdict) for every page of one PDF."""
    with open_pdf(path, path.name) as doc:
        layers = read_text_layers(doc, min(len(doc), MAX_PAGES))
    facts = [(lay.raw_text, normalise_text(lay.raw_text), lay.image_share) for lay in layers]
    verdicts = assess_pages(facts, (), words)
    return [
        (layer.number, verdict_name(layer.raw_text, v))
        for layer, v in zip(layers, verdicts, strict=True)
    ]


def verdict_name(raw: str, verdict) -> str:
    if verdict.reason:
        return f"{verdict.reason}: {verdict.test}"
    if looks_like_cp1251_mojibake(raw):
        return "trusted after the cp1251 repair (textnorm)"
    return "trusted"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--list", action="store_true", help="name every page not trusted")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        settings = OcrSettings(Tesseract("tesseract", "eng+rus+aze", 60), 300, 1024, 10**8, cache)
        words = dictionary(settings)
        print(f"dictionary: {len(words):,} words (eng+rus+aze, from Tesseract's data)")
        table: dict[str, Counter] = defaultdict(Counter)
        listed = []
        for path in sorted(args.folder.rglob("*.pdf")):
            category = path.relative_to(args.folder).parts[0]
            try:
                verdicts = judge_file(path, words)
            except IngestError:
                table[category]["unopenable file"] += 1
                continue
            for number, verdict in verdicts:
                table[category][verdict] += 1
                if not verdict.startswith("trusted"):
                    listed.append(f"  {path.relative_to(args.folder)} p.{number}: {verdict}")
    for category, counts in sorted(table.items()):
        pages = sum(v for k, v in counts.items() if k != "unopenable file")
        print(f"{category}: {pages} pages")
        for verdict, count in counts.most_common():
            print(f"  {verdict:45} {count:5}")
    if args.list:
        print("\n".join(listed))


if __name__ == "__main__":
    main()
