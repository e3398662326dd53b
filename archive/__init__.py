"""Workshop Archive: search and archive of workshop presentations and photos.

Importing the package loads nothing else: `create_app` imports the web application when it
is called, so that a library inside the package (`archive.fulltext`), a script or an
extraction child does not pay for Flask, SQLAlchemy, the queue and every blueprint.
"""

from archive.version import __version__

__all__ = ["__version__", "create_app"]


def create_app(overrides: dict | None = None):
    """Build the application (`archive.app.create_app`); `overrides` (tests) may name
    `CONFIG_CLASS` and any setting."""
    from archive.app import create_app as build

    return build(overrides)
