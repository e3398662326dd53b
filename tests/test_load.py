"""A short, bounded run of bench/load.py: browsing users and an uploading staff member on the
live stack. Asserts correctness only (no 5xx, no lost upload), never latency: timings on a
shared test machine are for the benchmark to report, not for a test to assert."""

from __future__ import annotations

import pytest

from bench.load import LoadOptions, print_report, run_load

pytestmark = pytest.mark.slow


def test_short_load_run_has_no_server_errors_and_loses_no_upload(tmp_path):
    options = LoadOptions(
        users=10,
        duration=8,
        uploads=4,
        upload_pages=12,
        seed_decks=4,
        seed_pages=8,
        think=0.2,
        settle_timeout=90,
        root=tmp_path,
    )
    report = run_load(options)
    print_report(report)
    kinds = {s.kind for s in report.samples}
    assert {"search", "event", "thumbnail", "download", "upload"} <= kinds, kinds
    assert report.server_errors == 0, report.statuses
    assert not report.upload_failures
    assert len(report.upload_ids) == options.uploads
    assert report.lost == []
    unexpected = {s.status for s in report.samples} - {200, 202}
    assert not unexpected, report.statuses
