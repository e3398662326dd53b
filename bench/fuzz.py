"""Fuzz the ingest pipeline for a while: mutated PDFs and photos through sniffing and the
sandboxed extraction, counting outcomes by error code.

    python bench/fuzz.py [--minutes 5] [--seed N] [--timeout 5] [--corpus DIR] [--save DIR]

Each round picks a base file (small generated PDF, JPEG, PNG and WebP, plus with --corpus the
files under DIR smaller than 512 KB that extract cleanly), applies one to four random edits
(byte flips, truncation, random or structural insertions, chunk duplication; see
`tests/support/mutation.py`) and runs it as the pipeline would. Allowed outcomes: a result, or
an `IngestError` whose message names the file. Anything else (another exception, a message
without the file name, a run beyond the time limit, a child left behind) is a finding: it is
printed with the seed and edits that reproduce it, and saved under --save when given.
Exit status 1 if there was any finding.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive.ingest.errors import IngestError  # noqa: E402
from archive.ingest.extract import ExtractSettings  # noqa: E402
from archive.ingest.sniff import sniff_file  # noqa: E402
from tests.support.mutation import (  # noqa: E402
    base_files,
    extract_mutant,
    mutate,
    random_edits,
)

SLACK_S = 3.0
MAX_CORPUS_BYTES = 512 * 1024


def corpus_bases(folder: Path, work: Path, settings: ExtractSettings) -> dict:
    """Small real files that extract cleanly, as extra starting points."""
    bases = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.stat().st_size > MAX_CORPUS_BYTES or path.name == "MANIFEST.tsv":
            continue
        data = path.read_bytes()
        try:
            kind = sniff_file(path, path.name).kind
            name = f"c{len(bases):03d}{path.suffix.lower()[:6]}"
            if extract_mutant(name, kind, data, work, settings) == "ok":
                bases[name] = (kind, data, str(path.relative_to(folder)))
        except IngestError:
            continue
    return bases


def children() -> list[int]:
    me = str(os.getpid())
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as fh:
                    if fh.read().rsplit(")", 1)[1].split()[1] == me:
                        found.append(int(entry.name))
            except OSError:
                continue
    return found


def fuzz_one(rng, bases, work: Path, settings: ExtractSettings):
    """One mutant: (base name, outcome code, seconds, finding or None, edits, bytes)."""
    name = rng.choice(sorted(bases))
    kind, original = bases[name][:2]
    edits = random_edits(rng, len(original))
    mutant = mutate(original, edits)
    started = time.monotonic()
    finding = None
    try:
        code = extract_mutant(name, kind, mutant, work, settings)
    except Exception as exc:  # noqa: BLE001 - the point is to report it
        code = "UNEXPECTED"
        finding = "".join(traceback.format_exception_only(exc)).strip()
    seconds = time.monotonic() - started
    if finding is None and seconds > settings.timeout_s + SLACK_S:
        code, finding = "SLOW", f"took {seconds:.1f} s with a {settings.timeout_s:g} s limit"
    if finding is None and children():
        code, finding = "LEFT-CHILD", f"children left behind: {children()}"
    return name, code, seconds, finding, edits, mutant


def main() -> int:
    args = parse_args()
    logging.basicConfig(level=logging.ERROR)  # the readers' warnings about damage are expected
    settings = replace(ExtractSettings(), timeout_s=args.timeout)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    rng = random.Random(seed)
    counts: dict[str, Counter] = defaultdict(Counter)
    findings = []
    slowest = (0.0, "")
    with tempfile.TemporaryDirectory(prefix="archive-fuzz-") as scratch:
        work = Path(scratch)
        bases = {k: (kind, data, k) for k, (kind, data) in base_files().items()}
        if args.corpus:
            bases.update(corpus_bases(args.corpus, work, settings))
        print(f"seed {seed}; {len(bases)} base files; {args.minutes:g} min; "
              f"limit {settings.timeout_s:g} s, {settings.memory_mb} MB")  # fmt: skip
        deadline = time.monotonic() + args.minutes * 60
        started, rounds, next_report = time.monotonic(), 0, time.monotonic() + 60
        while time.monotonic() < deadline:
            name, code, seconds, finding, edits, mutant = fuzz_one(rng, bases, work, settings)
            rounds += 1
            counts[bases[name][2]][code] += 1
            slowest = max(slowest, (seconds, bases[name][2]))
            if finding:
                findings.append((bases[name][2], code, finding, edits))
                print(f"FINDING {code} on {bases[name][2]}: {finding}\n  edits: {edits!r}")
                if args.save:
                    args.save.mkdir(parents=True, exist_ok=True)
                    (args.save / f"{len(findings):03d}-{name}").write_bytes(mutant)
            if time.monotonic() > next_report:
                print(f"  {rounds} mutants, {len(findings)} findings", flush=True)
                next_report += 60
    report(counts, rounds, time.monotonic() - started, slowest, findings)
    return 1 if findings else 0


def report(counts, rounds: int, elapsed: float, slowest, findings) -> None:
    total = Counter()
    for per_base in counts.values():
        total.update(per_base)
    print(f"\n{rounds} mutants in {elapsed:.0f} s ({rounds / elapsed:.1f}/s); slowest "
          f"{slowest[0]:.2f} s ({slowest[1]})")  # fmt: skip
    print("outcomes: " + ", ".join(f"{code} {n}" for code, n in total.most_common()))
    for base in sorted(counts):
        print(f"  {base}: " + ", ".join(f"{c} {n}" for c, n in counts[base].most_common()))
    print(f"findings: {len(findings)}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--seed", type=int, help="random seed (default: a fresh one, printed)")
    parser.add_argument("--timeout", type=float, default=5.0, help="extraction time limit, s")
    parser.add_argument("--corpus", type=Path, help="add small real files from this folder")
    parser.add_argument("--save", type=Path, help="save mutants that caused findings here")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(main())
