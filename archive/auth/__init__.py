"""Signing in and out, the profile page with personal API tokens, and session loading."""

from archive.auth.login import init_login
from archive.auth.views import bp

__all__ = ["bp", "init_login"]
