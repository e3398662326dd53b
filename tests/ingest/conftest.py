"""Ingest tests use the PDF and photo factories of tests/conftest.py, plus an output folder."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    path = tmp_path / "derived"
    path.mkdir()
    return path
