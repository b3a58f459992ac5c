"""Command-line tools: `flask seed`, `flask users ...`, `flask mail ...`, `flask search ...`,
`flask exports ...`, `flask links ...`, `flask supplies ...`."""

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
    app.cli.add_command(mail)
    app.cli.add_command(inquiries)
    app.cli.add_command(links)
    app.cli.add_command(exports)
    app.cli.add_command(search)
    app.cli.add_command(supplies)
    app.shell_context_processor(_shell_context)


def _shell_context():
    from catalogue import models

    return {"db": db, "sa": sa, **{name: getattr(models, name) for name in models.__all__}}


@click.command("seed")
@click.option("--dir", "seed_dir", type=click.Path(path_type=Path), default=SEED_DIR)
def seed_command(seed_dir: Path) -> None:
    """Load the seed data (adds what is missing; running it again changes nothing)."""
    from catalogue.content.seed import load_content_seed
    from catalogue.supplies.seed import load_seed

    report = load_seed(seed_dir)
    load_content_seed(seed_dir, report)
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
def mail() -> None:
    """Outgoing mail."""


@mail.command("deliver")
@click.option("--once", is_flag=True, help="Deliver what is due and exit.")
def deliver(once: bool) -> None:
    """Deliver the outbox (a separate process; the app also delivers in a background thread)."""
    import time

    from catalogue.mail.delivery import POLL_SECONDS, deliver_and_prune

    while True:
        counts = deliver_and_prune()
        if any(counts.values()):
            click.echo(
                f"sent {counts['sent']}, to retry {counts['retry']}, failed {counts['failed']}"
            )
        if once:
            return
        time.sleep(POLL_SECONDS)


@mail.command("prune")
def mail_prune() -> None:
    """Delete outbox .eml files older than MAIL_OUTBOX_RETENTION_DAYS (for cron; the delivery
    thread and `flask mail deliver` also do it hourly)."""
    from catalogue.mail.delivery import prune_outbox

    click.echo(f"deleted {prune_outbox()} outbox files")


@click.group()
def inquiries() -> None:
    """Purchase inquiries."""


@inquiries.command("escalate")
def inquiries_escalate() -> None:
    """Flag overdue inquiries, remind their makers once, send staff the day's digest (for cron;
    app processes also run this in a background thread)."""
    from catalogue.inquiries.tasks import escalate_overdue, send_daily_digest

    counts = escalate_overdue()
    digest = send_daily_digest()
    click.echo(
        f"escalated {counts['escalated']}, reminded {counts['reminded']}, "
        f"digest {'queued' if digest else 'not needed or sent already today'}"
    )


@click.group()
def supplies() -> None:
    """Catalogue entries."""


@supplies.command("remind-expiry")
def supplies_remind_expiry() -> None:
    """Remind makers 30 and 7 days before an approval expires, each reminder once, and note the
    approvals that expired (for cron; app processes also run this in a background thread)."""
    from catalogue.supplies.tasks import run_approval_jobs

    sent, noted = run_approval_jobs()
    click.echo(f"expiry reminders sent: {sent}; expiries noted: {noted}")


@click.group()
def links() -> None:
    """Cities Network links."""


@links.command("check")
@click.option("--timeout", default=5.0, show_default=True, help="Seconds to wait for each site.")
def check_links(timeout: float) -> None:
    """Report network links that do not answer (never fails for lack of a network)."""
    from catalogue.content import services as content

    all_links = content.list_links()
    if not content.network_available(timeout=timeout):
        click.echo(f"network unavailable: {len(all_links)} links not checked.")
        return
    results = content.check_links(all_links, timeout=timeout)
    bad = [r for r in results if not r.ok]
    for result in bad:
        click.echo(f"UNREACHABLE  {result.link.name}  {result.link.url}  {result.detail}")
    click.echo(
        f"Checked {len(results)} links: {len(results) - len(bad)} reachable, {len(bad)} not."
    )


@click.group()
def exports() -> None:
    """PDF exports: the brochure job worker and clean-up."""


@exports.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def exports_worker(burst: bool) -> None:
    """Serve the RQ queue of brochure jobs (needs REDIS_URL)."""
    from flask import current_app
    from rq import SimpleWorker

    from catalogue.exports import jobs

    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("Set REDIS_URL to the Redis server that holds the queue.")
    queue = jobs.queue(current_app)
    # SimpleWorker runs jobs in this process, inside the app context the command provides.
    SimpleWorker([queue], connection=queue.connection).work(burst=burst)


@exports.command("cleanup")
def exports_cleanup() -> None:
    """Delete brochure files older than EXPORT_RETENTION_DAYS."""
    from catalogue.exports.brochures import cleanup_exports

    removed = cleanup_exports()
    db.session.commit()
    click.echo(f"Deleted {removed} expired brochure file{'s' if removed != 1 else ''}.")


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
