"""No live link at rest once a message is delivered; the outbox folder is private and pruned
(issue 14, item 12)."""

import os
import re
import stat
import time
from email import message_from_bytes
from pathlib import Path

import pytest
import sqlalchemy as sa

from catalogue.accounts import services as accounts
from catalogue.extensions import db
from catalogue.mail import tasks as mail_tasks
from catalogue.mail.delivery import deliver_pending, prune_outbox
from catalogue.mail.models import REDACTED, OutboundEmail
from catalogue.mail.services import queue_email
from tests.inquiries.test_journey import inquiry_form

NEW_PASSWORD = "plum orchard at dawn"
TOKEN_LINK = re.compile(r"http://localhost(/(?:account|inquiry)/[a-z-]+/[A-Za-z0-9_.-]{20,})")


def _mail(**where):
    stmt = sa.select(OutboundEmail).order_by(OutboundEmail.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(OutboundEmail, name) == value)
    return db.session.scalars(stmt).all()


def _body(message) -> str:
    return message.get_payload(decode=True).decode()


def _raw_rows() -> str:
    """Every stored column of every outbox row, as the database holds them."""
    rows = db.session.execute(sa.select(OutboundEmail.__table__)).all()
    return "\n".join(str(value) for row in rows for value in row)


def test_a_delivered_reset_link_is_at_rest_nowhere_and_still_works_once(
    client, world, smtp_server, login
):
    client.post("/account/password-reset", data={"email": world.officer.email})
    db.session.expire_all()

    deliver_pending()

    (received,) = smtp_server.inbox.to(world.officer.email)
    link = TOKEN_LINK.search(_body(received)).group(1)
    token = link.rsplit("/", 1)[1]
    # Nothing stored holds the token: the row keeps a placeholder where the link was.
    db.session.expire_all()
    (stored,) = _mail(kind="password_reset", to_address=world.officer.email)
    assert token not in _raw_rows()
    assert REDACTED in stored.body_text and stored.secrets is None
    # Nor does the staff mail list.
    login(world.staff)
    assert token not in client.get("/staff/mail/").get_data(as_text=True)
    login(None)
    # The link the officer received works, once.
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.get(link).status_code == 404


@pytest.mark.postgresql
def test_every_token_link_is_removed_once_its_message_is_sent(client, world, make_user):
    """Reset, confirmation, invitation and tracking links, through the real features."""
    client.post("/account/password-reset", data={"email": world.officer.email})
    client.post("/inquiry/new", data=inquiry_form([(world.product_a.slug, 10)]))
    accounts.invite_manufacturer_user(world.staff, world.maker_b, "new@maker-b.example")
    accounts.send_email_confirmation(make_user(email="new.buyer@city.example"))
    db.session.commit()
    queued = {link for m in _mail(status="pending") for link in TOKEN_LINK.findall(m.body_text)}
    kinds = {link.split("/")[2] for link in queued}
    assert {"password-reset", "confirm", "invitation", "track"} <= kinds

    deliver_pending()

    db.session.expire_all()
    assert not _mail(status="pending")
    stored = _raw_rows()
    assert not [link for link in queued if link.rsplit("/", 1)[1] in stored]


def test_the_tracking_and_maker_links_of_an_emailed_inquiry_are_removed_too(client, world):
    world.maker_a.contact_email = "sales@maker-a.example"
    world.user_a.active = False  # the maker is reached by e-mail, with its private link
    db.session.commit()
    client.post("/inquiry/new", data=inquiry_form([(world.product_a.slug, 10)]))
    (notice,) = _mail(to_address="sales@maker-a.example")
    (respond,) = re.findall(r"http://localhost(/inquiry/respond/\S+)", notice.body_text)
    (confirmation,) = _mail(to_address="ana.souza@recife.example")
    (track,) = re.findall(r"http://localhost(/inquiry/track/\S+)", confirmation.body_text)

    deliver_pending()

    db.session.expire_all()
    stored = _raw_rows()
    assert respond.rsplit("/", 1)[1] not in stored and track.rsplit("/", 1)[1] not in stored
    assert client.get(respond).status_code == 200  # the delivered links still work
    assert client.get(track).status_code == 200


def test_a_message_keeps_its_link_until_it_is_sent(app):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=9, MAIL_USE_TLS=False)  # closed port
    link = "http://localhost/account/password-reset/" + "k" * 43
    queue_email(
        "a@city.example", "Reset", "password_reset", user=None, link=link, hours=2, secrets=[link]
    )
    db.session.commit()
    assert deliver_pending()["retry"] == 1
    (email,) = _mail()
    assert link in email.body_text  # still owed: the retry must carry the link


def test_outbox_files_are_private_and_pruned_after_the_retention(app, world, runner):
    outbox = Path(app.config["MAIL_OUTBOX_DIR"])
    deliver_pending()
    files = list(outbox.glob("*.eml"))
    assert files
    assert stat.S_IMODE(outbox.stat().st_mode) == 0o700
    assert {stat.S_IMODE(path.stat().st_mode) for path in files} == {0o600}
    message = message_from_bytes(files[0].read_bytes())
    assert message["To"]

    # A file from before the outbox was private, and one older than the retention period.
    outbox.chmod(0o755)
    old, recent = files[0], outbox / "00009999-password_reset.eml"
    recent.write_bytes(b"To: x@y\n\nhello\n")
    recent.chmod(0o644)
    eight_days_ago = time.time() - 8 * 86400
    os.utime(old, (eight_days_ago, eight_days_ago))
    result = runner.invoke(args=["mail", "prune"])
    assert result.exit_code == 0 and "deleted 1 outbox files" in result.output
    assert not old.exists() and recent.exists()
    assert stat.S_IMODE(recent.stat().st_mode) == 0o600
    assert stat.S_IMODE(outbox.stat().st_mode) == 0o700
    assert prune_outbox() == 0


def _month_old_eml(app) -> Path:
    outbox = Path(app.config["MAIL_OUTBOX_DIR"])
    outbox.mkdir(parents=True)
    old = outbox / "00000001-password_reset.eml"
    old.write_bytes(b"To: x@y\n\nhello\n")
    long_ago = time.time() - 30 * 86400
    os.utime(old, (long_ago, long_ago))
    return old


def test_a_periodic_mail_job_prunes_without_a_request(app):
    old = _month_old_eml(app)
    (prune,) = [job for job in mail_tasks.PERIODIC if job.name == "mail-prune"]
    prune.func()
    assert not old.exists()


def test_the_separate_delivery_process_prunes_too(app, runner):
    """`flask mail deliver` replaces both periodic mail jobs when MAIL_DELIVERY_THREAD is 0."""
    old = _month_old_eml(app)
    assert runner.invoke(args=["mail", "deliver", "--once"]).exit_code == 0
    assert not old.exists()


def test_a_token_link_nobody_marked_is_removed_too(app):
    """Any link to a page that takes a token is secret, so a new e-mail cannot forget to say so."""
    link = "http://localhost/account/invitation/" + "t0k3n" * 8
    queue_email("a@city.example", "Join", "password_reset", user=None, link=link, hours=2)
    db.session.commit()
    deliver_pending()
    (email,) = _mail()
    assert link not in email.body_text and REDACTED in email.body_text
