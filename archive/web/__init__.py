"""Page blueprints, one module per page area."""

from archive import admin
from archive.web import events, home

BLUEPRINTS = [home.bp, events.bp, admin.bp]
