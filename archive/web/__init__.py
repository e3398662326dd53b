"""Page blueprints, one module per page area."""

from archive.web import events, home

BLUEPRINTS = [home.bp, events.bp]
