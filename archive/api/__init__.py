"""The JSON API under /api/v1 (one module per area): items and uploads, files, events,
search, and the OpenAPI description."""

from archive.api import events, files, items, me, openapi, programme, search, shares, versions
from archive.api.blueprint import bp

__all__ = [
    "bp",
    "events",
    "files",
    "items",
    "me",
    "openapi",
    "programme",
    "search",
    "shares",
    "versions",
]
