"""Page blueprints, one module per page area."""

from archive.web import events, home, items, presentations, search

BLUEPRINTS = [home.bp, events.bp, items.bp, presentations.bp, search.bp]
