"""Mutated PDFs and photos through sniffing and the sandboxed extraction: every outcome is a
result or an `IngestError` naming the file, within the time limit, and the caller survives.

Mutations: byte flips, truncation, insertion of random or structural bytes, duplication of a
chunk. The examples are derandomised so that CI runs the same ones every time; `bench/fuzz.py`
explores with fresh seeds for as long as you like.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.ingest.extract import ExtractSettings
from archive.ingest.forkclient import fork_server
from archive.ingest.sandbox import stop_children
from tests.support.mutation import EDIT_KINDS, TOKENS, base_files, extract_mutant, mutate

pytestmark = pytest.mark.slow

SETTINGS = replace(ExtractSettings(), timeout_s=5.0)  # default memory ceiling
SLACK_S = 3.0  # fork, pickling and reaping on a busy machine
BASES = base_files()


@st.composite
def mutations(draw, size: int) -> list[tuple]:
    """One to four edits (see tests.support.mutation), drawn so that Hypothesis can shrink."""
    edits = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(EDIT_KINDS))
        at = draw(st.integers(0, max(0, size - 1)))
        if kind == "flip":
            edits.append(("flip", at, draw(st.integers(1, 255))))
        elif kind == "truncate":
            edits.append(("truncate", at))
        elif kind == "insert":
            edits.append(("insert", at, draw(st.binary(min_size=1, max_size=64))))
        elif kind == "token":
            edits.append(("insert", at, draw(st.sampled_from(TOKENS))))
        else:
            edits.append(("duplicate", at, draw(st.integers(1, 2048)), draw(st.integers(0, size))))
    return edits


@pytest.mark.parametrize("name", sorted(BASES))
@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_mutated_file_is_extracted_or_rejected_by_name(name, data, tmp_path):
    kind, original = BASES[name]
    edits = data.draw(mutations(len(original)), label="edits")
    mutant = mutate(original, edits)
    started = time.monotonic()
    extract_mutant(name, kind, mutant, tmp_path, SETTINGS)
    assert time.monotonic() - started < SETTINGS.timeout_s + SLACK_S
    stop_children()  # the idle child kept for the next file; anything else is a leak
    assert not leftover_children(), "an extraction child was left behind"


def leftover_children() -> list[int]:
    """Children of this process or of its extraction fork server (the server itself is kept
    for the next file) still alive or unreaped once the sandbox has stopped its reusable
    children (it must reap every one, and a timeout must kill the whole group)."""
    server = fork_server().pid
    parents = {str(os.getpid()), str(server)}
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] in parents and int(entry.name) != server:
                found.append(int(entry.name))
    return found


@pytest.mark.parametrize("name", sorted(BASES))
def test_unmutated_bases_extract(name, tmp_path):
    """The fuzzing starts from files that work, so that every rejection is the mutation's."""
    kind, original = BASES[name]
    assert extract_mutant(name, kind, original, tmp_path, SETTINGS) == "ok"


def test_mutate_applies_each_kind_of_edit():
    data = b"0123456789"
    assert mutate(data, [("flip", 0, 1)]) == b"1123456789"
    assert mutate(data, [("truncate", 4)]) == b"0123"
    assert mutate(data, [("insert", 2, b"xx")]) == b"01xx23456789"
    assert mutate(data, [("duplicate", 0, 3, 10)]) == b"0123456789012"
    assert mutate(data, [("truncate", 0), ("flip", 3, 1)]) == b""
