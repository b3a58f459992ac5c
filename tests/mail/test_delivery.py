"""The outbox: messages survive until delivered, failures are retried with back-off."""

from email import message_from_bytes
from pathlib import Path

import sqlalchemy as sa

from catalogue.extensions import db
from catalogue.mail.delivery import backoff, deliver_pending
from catalogue.mail.models import OutboundEmail
from catalogue.mail.services import queue_email


def _queue(to="buyer@city.example"):
    queue_email(to, "Reset your password", "password_reset", user=None, link="http://x/y", hours=2)
    db.session.commit()


def test_without_smtp_messages_become_eml_files(app):
    _queue()
    counts = deliver_pending()
    assert counts["sent"] == 1
    (path,) = Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml")
    message = message_from_bytes(path.read_bytes())
    assert message["To"] == "buyer@city.example"
    assert message["Subject"] == "Reset your password"
    assert "http://x/y" in message.get_payload(decode=True).decode()
    assert db.session.scalar(sa.select(OutboundEmail.status)) == "sent"
    assert deliver_pending()["sent"] == 0  # nothing is sent twice


def test_unreachable_server_keeps_the_message_and_retries_later(app):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=9, MAIL_USE_TLS=False)  # closed port
    _queue()
    counts = deliver_pending()
    assert counts == {"sent": 0, "retry": 1, "failed": 0}
    email = db.session.scalar(sa.select(OutboundEmail))
    assert email.status == "pending" and email.attempts == 1 and email.last_error
    assert deliver_pending()["retry"] == 0  # not due again before its back-off


def test_after_the_last_attempt_the_message_is_failed_and_shown_to_staff(
    app, client, login, make_user
):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=9, MAIL_USE_TLS=False, MAIL_MAX_ATTEMPTS=1)
    _queue("lost@city.example")
    assert deliver_pending()["failed"] == 1
    login(make_user(role="staff"))
    html = client.get("/staff/mail/?status=failed").get_data(as_text=True)
    assert "lost@city.example" in html and 'id="mail-count-failed">1<' in html
    email = db.session.scalar(sa.select(OutboundEmail))
    client.post(f"/staff/mail/{email.id}/retry")
    db.session.expire_all()
    assert db.session.get(OutboundEmail, email.id).status == "pending"


def test_backoff_grows_and_is_capped():
    delays = [backoff(n).total_seconds() for n in (1, 2, 3, 10, 20)]
    assert delays[:3] == [30, 60, 120]
    assert delays[-1] == 3600
