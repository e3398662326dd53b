"""Page blueprints, one module per page area."""

from archive import admin
from archive.web import (
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
    upload,
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
    admin.bp,
]
