"""Page blueprints, one module per page area."""

from archive.web import events, home, items

BLUEPRINTS = [home.bp, events.bp, items.bp]
