"""Administration pages under /admin: accounts, organisations and grants, the audit log and
the storage summary. Admins only; the guard lives on the blueprint, so no view can miss it."""

from archive.admin import audit_log, grants, overview, storage_summary, users
from archive.admin.blueprint import bp

__all__ = ["audit_log", "bp", "grants", "overview", "storage_summary", "users"]
