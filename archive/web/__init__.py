"""Page blueprints, one module per page area."""

from archive import admin
from archive.web import (
    bundles,
    event_edit,
    events,
    home,
    item_edit,
    items,
    presentations,
    search,
    shared,
    shares,
    upload,
    versions,
)

BLUEPRINTS = [
    home.bp,
    events.bp,
    event_edit.bp,
    items.bp,
    item_edit.bp,
    presentations.bp,
    search.bp,
    upload.bp,
    versions.bp,
    shares.bp,
    shared.bp,
    bundles.bp,
    admin.bp,
]
