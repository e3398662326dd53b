"""Typed ingest errors: a short machine `code` plus a message naming the file and the reason."""

from __future__ import annotations


class IngestError(Exception):
    """A file could not be ingested; `str(err)` is a message fit to show to the uploader."""

    code = "ingest-error"

    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(filename, reason)
        self.filename = filename
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.filename}: {self.reason}"


class UnsupportedType(IngestError):
    """The content is not a PDF or a supported photo format, whatever its name says."""

    code = "unsupported-type"


class PasswordProtected(IngestError):
    """The PDF needs a password to open, and the empty password is not it."""

    code = "password"


class DamagedFile(IngestError):
    """The file is truncated or malformed beyond what the readers can recover."""

    code = "damaged"


class TooLarge(IngestError):
    """The file exceeds a limit: pixel count, decompression ratio or page count."""

    code = "too-large"


class ExtractionTimeout(IngestError):
    """Extraction ran longer than its wall-clock limit and was killed."""

    code = "timeout"


class ExtractionMemory(IngestError):
    """Extraction needed more memory than its ceiling allows."""

    code = "memory"


class ExtractionInterrupted(IngestError):
    """The extraction server stopped while this file was being read (not the file's fault:
    the next file gets a new server, and a retry of this one may well succeed)."""

    code = "interrupted"


def describe_error(exc: BaseException) -> str:
    """Return a short, single-line "Type: message" for an exception."""
    message = " ".join(str(exc).split())[:120]
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


ERRORS_BY_CODE: dict[str, type[IngestError]] = {
    cls.code: cls
    for cls in (
        IngestError,
        UnsupportedType,
        PasswordProtected,
        DamagedFile,
        TooLarge,
        ExtractionTimeout,
        ExtractionMemory,
        ExtractionInterrupted,
    )
}
