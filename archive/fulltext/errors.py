"""Typed errors of the full-text index, each with a message a person can act on."""

from __future__ import annotations

REINDEX_ADVICE = "run `flask --app archive reindex` to rebuild it"


class FulltextError(Exception):
    """Base of every error raised by archive.fulltext."""


class UnknownBackendError(FulltextError):
    """The configured search backend's name is not one this version knows."""


class UnsupportedWhooshVersion(FulltextError):
    """The installed Whoosh is not the version whose private structures were verified."""


class SchemaVersionError(FulltextError):
    """The index on disk was built by another schema version of this code."""


class IndexCorruptError(FulltextError):
    """The index directory is damaged or incomplete."""


class IndexBusyError(FulltextError):
    """Another writer held the index lock for longer than the configured timeout."""


class RebuildError(FulltextError):
    """A rebuild failed; the previous index is still in place and in use."""


class RebuildInProgressError(RebuildError):
    """Another rebuild of the same index is already running."""
