"""Page blueprints, one module per page area."""

from archive.web import events, home, items, presentations

BLUEPRINTS = [home.bp, events.bp, items.bp, presentations.bp]
