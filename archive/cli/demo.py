"""`demo`: load the demo account and event (once) and say how to sign in."""

import click

from archive.demo import load_demo


@click.command("demo")
def demo():
    """Create the demo admin and the demo event with its files, on first run only."""
    result = load_demo()
    if result.created:
        click.echo(f"Demo event loaded: {result.items} item(s) ready.")
        for problem in result.failed or []:
            click.echo(f"  could not load {problem}", err=True)
    if result.password:
        click.echo(f"Demo sign-in:  user {result.username}   password {result.password}")
        click.echo(
            "(shown once; change it on the profile page or with "
            f"`flask --app archive users set-password {result.username}`)"
        )
    elif not result.created:
        click.echo(
            f"Demo already loaded. Sign in as {result.username} with the password shown "
            "at first start, or set a new one with "
            f"`flask --app archive users set-password {result.username}`."
        )
