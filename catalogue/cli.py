"""Command-line tools: `flask seed`, `flask worker`, `flask users ...`, `flask mail ...`,
`flask search ...`, `flask exports ...`, `flask links ...`, `flask supplies ...`."""

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
    app.cli.add_command(worker_command)
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


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the due and queued jobs, then exit.")
def worker_command(burst: bool) -> None:
    """Run all background work (needs REDIS_URL): the queued jobs and the periodic ones."""
    from flask import current_app

    from catalogue.lib.jobs import run_worker

    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException(
            "Set REDIS_URL to the Redis server that holds the job queues; without it each "
            "app process runs its background work itself."
        )
    run_worker(current_app._get_current_object(), burst=burst)  # type: ignore[attr-defined]


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
    """Deliver the outbox from this process (without REDIS_URL and MAIL_DELIVERY_THREAD=0), and
    delete expired .eml files hourly, as the periodic jobs it replaces do."""
    import time

    from catalogue.mail.delivery import deliver_pending, prune_outbox
    from catalogue.mail.tasks import POLL_SECONDS, PRUNE_SECONDS

    pruned_at = None
    while True:
        if pruned_at is None or time.monotonic() - pruned_at >= PRUNE_SECONDS:
            pruned_at = time.monotonic()
            prune_outbox()
        counts = deliver_pending()
        if any(counts.values()):
            click.echo(
                f"sent {counts['sent']}, to retry {counts['retry']}, failed {counts['failed']}"
            )
        if once:
            return
        time.sleep(POLL_SECONDS)


@mail.command("prune")
def mail_prune() -> None:
    """Delete outbox .eml files older than MAIL_OUTBOX_RETENTION_DAYS (for cron; the periodic
    jobs also do it hourly)."""
    from catalogue.mail.delivery import prune_outbox

    click.echo(f"deleted {prune_outbox()} outbox files")


@click.group()
def inquiries() -> None:
    """Purchase inquiries."""


@inquiries.command("escalate")
def inquiries_escalate() -> None:
    """Flag overdue inquiries, remind their makers once, send staff the day's digest (for cron;
    also a periodic job)."""
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
    approvals that expired (for cron; also a periodic job)."""
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
    """PDF exports."""


@exports.command("cleanup")
def exports_cleanup() -> None:
    """Delete brochure files older than EXPORT_RETENTION_DAYS (for cron; also a periodic job)."""
    from catalogue.exports.tasks import clean_up_exports

    removed = clean_up_exports()
    click.echo(f"Deleted {removed} expired brochure file{'s' if removed != 1 else ''}.")


@exports.command("prerender")
def exports_prerender() -> None:
    """Render every spec sheet and profile whose content changed (for cron; also a periodic job)."""
    from catalogue.exports.tasks import prerender_pdfs

    total, finished = 0, False
    while not finished:  # each pass is time-boxed: go on until one gets to the end
        rendered, finished = prerender_pdfs()
        total += rendered
    click.echo(f"Rendered {total} PDF{'s' if total != 1 else ''}.")


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


@search.command("indexer")
def search_indexer() -> None:
    """Keep this machine's index in step in the foreground, as its own process (with
    SEARCH_INDEXER=0 for the web processes); Ctrl-C or SIGTERM stops it."""
    from flask import current_app

    from catalogue.search.indexer import run_indexer

    click.echo(f"Search indexer for {current_app.config['SEARCH_INDEX_DIR']}; Ctrl-C stops it.")
    run_indexer(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo("Search indexer stopped.")
