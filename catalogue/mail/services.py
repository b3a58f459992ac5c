"""Queueing mail: every feature sends e-mail through queue_email, inside its own transaction."""

from flask import render_template

from catalogue.extensions import db
from catalogue.mail.models import OutboundEmail


def queue_email(to: str, subject: str, template: str, **context) -> OutboundEmail:
    """Add a message to the outbox; it is sent once the caller's transaction commits."""
    body = render_template(f"email/{template}.txt", subject=subject, **context)
    message = OutboundEmail(
        to_address=to, subject=subject, body_text=body, kind=template, status="pending"
    )
    db.session.add(message)
    return message
