"""The application's version, recorded in backups' manifests."""

__version__ = "0.1.0"
