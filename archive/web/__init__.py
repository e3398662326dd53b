"""Page blueprints, one module per page area."""

from archive import admin
from archive.web import event_edit, events, home

BLUEPRINTS = [home.bp, events.bp, event_edit.bp, admin.bp]
