"""Command-line interface: thin `flask --app archive ...` commands grouped by area."""

from flask import Flask

from archive.cli import accounts, events


def init_app(app: Flask) -> None:
    for command in (accounts.users, accounts.grants, events.events):
        app.cli.add_command(command)
