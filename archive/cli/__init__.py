"""Command-line interface: thin `flask --app archive ...` commands grouped by area."""

from flask import Flask

from archive.cli import accounts, demo, events, ingest, ocr, ops, programme, search, service


def init_app(app: Flask) -> None:
    commands = (
        accounts.users,
        accounts.grants,
        events.events,
        ingest.import_command,
        ingest.reprocess,
        programme.programme,
        ocr.ocr,
        search.reindex,
        service.worker,
        service.serve,
        demo.demo,
        ops.check,
        ops.backup,
        ops.restore,
    )
    for command in commands:
        app.cli.add_command(command)
