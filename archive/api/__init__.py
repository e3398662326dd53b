"""The JSON API under /api/v1 (one module per resource)."""

from archive.api import items, me, programme
from archive.api.blueprint import bp

__all__ = ["bp", "items", "me", "programme"]
