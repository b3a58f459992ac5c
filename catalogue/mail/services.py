"""Queueing mail: every feature sends e-mail through queue_email, inside its own transaction."""

import re
from collections.abc import Iterable

from flask import current_app, render_template

from catalogue.extensions import db
from catalogue.mail.headers import header_text
from catalogue.mail.models import OutboundEmail


def queue_email(
    to: str, subject: str, template: str, *, secrets: Iterable[str | None] = (), **context
) -> OutboundEmail:
    """Add a message to the outbox; it is sent once the caller's transaction commits.

    `secrets` are the parts of the body that must not outlive delivery; links to any page that
    takes a token are secret whether or not the caller lists them. Once the message is sent, the
    stored body keeps a placeholder in their place.
    """
    subject = header_text(subject)
    body = render_template(f"email/{template}.txt", subject=subject, **context)
    marked = {s for s in secrets if s}
    for part in marked:
        if part not in body:  # a template that changed how it prints the link
            raise ValueError(f"The {template} e-mail does not show a part marked secret.")
    parts = sorted(marked | set(_token_links().findall(body)), key=len, reverse=True)
    message = OutboundEmail(
        to_address=to,
        subject=subject,
        body_text=body,
        secrets=parts or None,
        kind=template,
        status="pending",
    )
    db.session.add(message)
    return message


def _token_links() -> re.Pattern[str]:
    """A link to any route with a `token` argument (reset, invitation, confirmation, tracking,
    maker links...), up to the end of the link; built once per app from its URL map."""
    pattern = current_app.extensions.get("mail_token_links")
    if pattern is None:
        paths = set()
        for rule in current_app.url_map.iter_rules():
            if "token" in rule.arguments:
                path = rule.rule[: rule.rule.index("token>") + len("token>")]
                # Static parts as they are, each <argument> as one path segment.
                pieces = re.split(r"<[^>]+>", path)
                paths.add(r"[^\s/]+".join(re.escape(piece) for piece in pieces))
        alternatives = "|".join(sorted(paths)) or r"(?!)"
        pattern = re.compile(rf"\S*(?:{alternatives})\S*")
        current_app.extensions["mail_token_links"] = pattern
    return pattern
