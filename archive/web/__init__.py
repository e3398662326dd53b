"""Page blueprints, one module per page area."""

from archive import admin
from archive.web import event_edit, events, home, items, presentations, search

BLUEPRINTS = [
    home.bp,
    events.bp,
    event_edit.bp,
    items.bp,
    presentations.bp,
    search.bp,
    admin.bp,
]
