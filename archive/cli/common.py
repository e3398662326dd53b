"""Helpers shared by the commands: reading secrets safely and failing with one line."""

from __future__ import annotations

import sys

import click


def read_password(prompt: str = "Password") -> str:
    """From a hidden prompt on a terminal, else the first line of standard input, so that a
    password never appears in shell history or the process list."""
    if sys.stdin.isatty():
        return click.prompt(prompt, hide_input=True, confirmation_prompt=True)
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise click.ClickException("no password on standard input")
    return line


def fail(message: str) -> None:
    raise click.ClickException(message)
