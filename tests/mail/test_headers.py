"""Hostile text in anything that reaches a mail header never stalls the outbox (issue 14, 2)."""

from email import message_from_bytes, policy
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogue.extensions import db
from catalogue.mail import delivery
from catalogue.mail.delivery import build_message, deliver_pending
from catalogue.mail.models import OutboundEmail
from catalogue.mail.services import queue_email
from tests.inquiries.test_journey import inquiry_form

# Line breaks of every kind, and an encoded word that Python's email package would decode into
# one after its own check.
HOSTILE_ORGANISATION = (
    "Recife\r\nBcc: thief@evil.example\u2028City\u2029Health \x0b Dept"
    " =?utf-8?q?=0D=0ABcc:_thief@evil.example?="
)
CLEANED_ORGANISATION = (
    "Recife Bcc: thief@evil.example City Health Dept = ?utf-8?q?=0D=0ABcc:_thief@evil.example?="
)


def _mail(**where):
    stmt = sa.select(OutboundEmail).order_by(OutboundEmail.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(OutboundEmail, name) == value)
    return db.session.scalars(stmt).all()


@pytest.mark.postgresql
def test_a_hostile_organisation_does_not_stall_the_mail_queued_after_it(client, world, smtp_server):
    # The attack: an inquiry whose organisation carries line breaks, through the real form.
    world.user_a.language = "en"  # the maker reads English mail (makers get Korean by default)
    db.session.commit()
    response = client.post(
        "/inquiry/new",
        data=inquiry_form([(world.product_a.slug, 500)], organisation=HOSTILE_ORGANISATION),
    )
    assert response.status_code == 302
    (notice,) = [m for m in _mail(to_address=world.user_a.email) if "Recife" in m.subject]
    # Then someone asks for a password reset: its mail is queued after the notice.
    client.post("/account/password-reset", data={"email": world.officer.email})
    (reset,) = _mail(kind="password_reset", to_address=world.officer.email)
    assert reset.id > notice.id
    reference = notice.subject.split()[2]

    counts = deliver_pending()

    assert counts["sent"] == len(_mail())
    assert not _mail(status="sending") and not _mail(status="pending")
    (reset_received,) = smtp_server.inbox.to(world.officer.email)
    assert reset_received["Subject"] == "Reset your password"
    (notice_received,) = [
        m for m in smtp_server.inbox.to(world.user_a.email) if "Recife" in m["Subject"]
    ]
    # The line breaks became spaces (the header may be folded, as any long one), and no header
    # of the attacker's was added.
    subject = " ".join(notice_received["Subject"].split())
    assert subject == notice.subject == f"New inquiry {reference} from {CLEANED_ORGANISATION}"
    assert notice_received["Bcc"] is None
    assert not smtp_server.inbox.to("thief@evil.example")
    assert all("thief@evil.example" not in str(m["To"]) for m in smtp_server.inbox.messages)


def test_a_message_that_cannot_be_sent_counts_as_a_failed_attempt_and_the_rest_go(app, monkeypatch):
    queue_email("first@city.example", "First", "password_reset", user=None, link="-", hours=2)
    queue_email("second@city.example", "Second", "password_reset", user=None, link="-", hours=2)
    db.session.commit()
    real_send = delivery.send

    def send(email):
        if email.to_address == "first@city.example":
            raise RuntimeError("something nobody expected")
        real_send(email)

    monkeypatch.setattr(delivery, "send", send)
    assert deliver_pending() == {"sent": 1, "retry": 1, "failed": 0}
    first, second = _mail()
    assert (first.status, first.attempts) == ("pending", 1)
    assert first.last_error == "RuntimeError: something nobody expected"
    assert second.status == "sent"

    app.config["MAIL_MAX_ATTEMPTS"] = 2
    first.next_attempt_at = first.created_at
    db.session.commit()
    assert deliver_pending() == {"sent": 0, "retry": 0, "failed": 1}
    assert (_mail()[0].status, _mail()[0].attempts) == ("failed", 2)


def test_a_message_whose_sender_died_mid_send_counts_that_attempt(app):
    """A claim that was never released (the process died while sending) is an attempt too, so a
    message that kills its sender every time ends as failed instead of looping for ever."""
    app.config["MAIL_MAX_ATTEMPTS"] = 2
    queue_email("a@city.example", "Hello", "password_reset", user=None, link="-", hours=2)
    db.session.commit()
    email = _mail()[0]
    long_ago = email.created_at.replace(year=2000)
    email.status, email.claimed_at, email.attempts = "sending", long_ago, 2
    db.session.commit()
    assert deliver_pending()["failed"] == 1
    assert _mail()[0].status == "failed" and "stopped" in _mail()[0].last_error


def test_queue_email_keeps_the_subject_on_one_bounded_line(app):
    email = queue_email(
        "a@city.example",
        "x\r\ny\u2028" + "z" * 1000,
        "password_reset",
        user=None,
        link="-",
        hours=2,
    )
    assert "\n" not in email.subject and "\r" not in email.subject and "\u2028" not in email.subject
    assert email.subject.startswith("x y ") and len(email.subject) <= 200


# --- The property: random Unicode in every header field never stops the others -------------------

HEADER_TEXT = st.text(max_size=400) | st.sampled_from(
    [
        "\r\nBcc: thief@evil.example",
        "=?utf-8?q?=0D=0ABcc:_thief@evil.example?=",
        "Souza, Ana",
        '"\\" <',
        "\u2028",
        "\u2029",
        "\x00",
        "\x85",
    ]
)
HEADERS = {
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Content-Type",
    "Content-Transfer-Encoding",
    "MIME-Version",
}
PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.mark.parametrize("transport", ["outbox", "smtp"])
@PROPERTY
@given(
    subject=HEADER_TEXT,
    organisation=HEADER_TEXT,
    name=HEADER_TEXT,
    display_name=HEADER_TEXT,
    local_part=HEADER_TEXT,
)
def test_random_header_text_never_stops_the_delivery_of_the_others(
    app, request, transport, subject, organisation, name, display_name, local_part
):
    smtp_server = request.getfixturevalue("smtp_server") if transport == "smtp" else None
    db.session.execute(sa.delete(OutboundEmail))
    for old in Path(app.config["MAIL_OUTBOX_DIR"]).glob("*"):
        old.unlink()
    if smtp_server is not None:
        smtp_server.inbox.messages.clear()
    # Through queue_email, as the features build their subjects...
    queue_email(
        f"{display_name} <{local_part}@city.example>",
        f"New inquiry CAC-2026-00001 from {organisation} ({name}): {subject}",
        "password_reset",
        user=None,
        link="-",
        hours=2,
    )
    # ...and a row written as it is, as rows queued before any cleaning were.
    db.session.add(
        OutboundEmail(
            to_address=f"{display_name}{local_part}"[:254],
            subject=f"{subject}{organisation}{name}"[:300],
            body_text=f"{name}\n{organisation}",
            kind="inquiry_new_for_maker",
        )
    )
    queue_email(
        "buyer@city.example",
        "Reset your password",
        "password_reset",
        user=None,
        link="http://localhost/account/password-reset/abc",
        hours=2,
    )
    db.session.commit()

    deliver_pending()

    hostile_one, hostile_two, reset = _mail()
    assert reset.status == "sent"
    for email in (hostile_one, hostile_two):
        # Sent, or counted as a failed attempt to be retried: never stuck.
        assert (email.status, email.attempts) in {("sent", 1), ("pending", 1)}
        if email.status == "pending":
            assert email.last_error
    if smtp_server is not None:
        received = smtp_server.inbox.messages
        assert [m["To"] for m in received][-1] == "buyer@city.example"
    else:
        received = [
            message_from_bytes(path.read_bytes())
            for path in Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml")
        ]
    assert len(received) == 1 + [hostile_one.status, hostile_two.status].count("sent")
    for message in received:
        # Nothing the text held became a header of its own.
        assert set(message.keys()) <= HEADERS
        assert message["Bcc"] is None


@PROPERTY
@given(subject=HEADER_TEXT, display_name=HEADER_TEXT)
def test_build_message_always_builds(app, subject, display_name):
    """Any subject and display name: the message builds, and its headers are the ones we set."""
    email = OutboundEmail(
        id=1,
        to_address=f"{display_name} <ana.souza@recife.example>"[:254],
        subject=subject[:300],
        body_text="x",
        kind="k",
    )
    raw = bytes(build_message(email))
    assert b"\r" not in raw and b"\x00" not in raw
    message = message_from_bytes(raw, policy=policy.default)
    assert set(message.keys()) == HEADERS
    assert [a.addr_spec for a in message["To"].addresses] == ["ana.souza@recife.example"]


@PROPERTY
@given(to=HEADER_TEXT)
def test_an_impossible_address_fails_clearly(app, to):
    """An address the email package cannot parse is this message's failure, with a clear error."""
    email = OutboundEmail(id=1, to_address=to[:254], subject="s", body_text="x", kind="k")
    try:
        message = build_message(email)
    except ValueError as error:
        assert "e-mail address" in str(error)
    else:
        assert len(message["To"].addresses) == 1


def test_one_row_reaches_one_recipient(app):
    email = OutboundEmail(
        id=1, to_address="a@city.example, thief@evil.example", subject="s", body_text="x", kind="k"
    )
    try:
        message = build_message(email)
    except ValueError:
        return
    assert "thief" not in str(message["To"])
