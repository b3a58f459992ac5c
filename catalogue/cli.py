"""Command-line tools: `flask seed`, `flask users ...`, `flask search ...`."""

import secrets
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask

from catalogue.accounts import services as accounts
from catalogue.extensions import db

SEED_DIR = Path(__file__).resolve().parent.parent / "seed"


def register(app: Flask) -> None:
    app.cli.add_command(seed_command)
    app.cli.add_command(users)
    app.cli.add_command(search)
    app.shell_context_processor(_shell_context)


def _shell_context():
    from catalogue import models

    return {"db": db, "sa": sa, **{name: getattr(models, name) for name in models.__all__}}


@click.command("seed")
@click.option("--dir", "seed_dir", type=click.Path(path_type=Path), default=SEED_DIR)
def seed_command(seed_dir: Path) -> None:
    """Load the seed data (adds what is missing; running it again changes nothing)."""
    from catalogue.supplies.seed import load_seed

    report = load_seed(seed_dir)
    db.session.commit()
    click.echo(str(report))


@click.group()
def users() -> None:
    """Manage user accounts."""


@users.command("create-staff")
@click.argument("email")
@click.option("--prompt-password", is_flag=True, help="Type a password instead of a random one.")
def create_staff(email: str, prompt_password: bool) -> None:
    """Create a staff account; a random password is printed once unless you type one."""
    password = (
        click.prompt("Password", hide_input=True, confirmation_prompt=True)
        if prompt_password
        else secrets.token_urlsafe(15)
    )
    try:
        accounts.create_staff_user(email, password)
    except accounts.ServiceError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Created staff account {email.strip().lower()}.")
    if not prompt_password:
        click.echo(f"Its password (shown this once, store it safely): {password}")


@users.command("ensure-staff")
@click.argument("email")
def ensure_staff(email: str) -> None:
    """Create the first staff account if there is none yet (used by `make run`)."""
    if accounts.staff_exists():
        click.echo("A staff account exists already; none created.")
        return
    password = secrets.token_urlsafe(15)
    accounts.create_staff_user(email, password)
    db.session.commit()
    click.echo(f"Created the first staff account: {email.strip().lower()}")
    click.echo(f"Its password (shown this once, store it safely): {password}")


@click.group()
def search() -> None:
    """Manage the search index."""


@search.command("reindex")
def search_reindex() -> None:
    """Rebuild the whole index from the database (built aside, then swapped in)."""
    from catalogue.search.indexer import rebuild_index

    count = rebuild_index()
    click.echo(f"Search index rebuilt: {count} documents.")


@search.command("status")
def search_status() -> None:
    """Show index document counts against the database's."""
    import json

    from catalogue.search.indexer import index_status

    click.echo(json.dumps(index_status(), indent=2))
