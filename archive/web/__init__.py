"""Page blueprints, one module per page area."""

from archive import admin
from archive.web import (
    bundles,
    event_edit,
    events,
    home,
    item_edit,
    items,
    language,
    photo_placement,
    presentations,
    programme_edit,
    search,
    shared,
    shares,
    upload,
    versions,
)

BLUEPRINTS = [
    home.bp,
    language.bp,
    events.bp,
    event_edit.bp,
    items.bp,
    item_edit.bp,
    programme_edit.bp,
    photo_placement.bp,
    presentations.bp,
    search.bp,
    upload.bp,
    versions.bp,
    shares.bp,
    shared.bp,
    bundles.bp,
    admin.bp,
]
