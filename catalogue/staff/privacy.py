"""A person's request to have their personal data removed: what the site holds about an e-mail
address, and removing it.

Removal anonymises their inquiries (inquiries/privacy.py), their officer account, and the
outbox's messages to and about them, cancels what was not sent yet and stops all later mail to
the address (mail/services.py). The audit history records that it was done, by whom and how
much, never what was removed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from catalogue.accounts.models import AccountToken, User
from catalogue.accounts.services import end_sessions
from catalogue.audit.services import record_change
from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.inquiries import privacy as inquiry_privacy
from catalogue.inquiries.models import Inquiry
from catalogue.mail import services as mail
from catalogue.mail.models import OutboundEmail

logger = logging.getLogger(__name__)


@dataclass
class PersonalData:
    email: str
    inquiries: list[Inquiry] = field(default_factory=list)
    accounts: list[User] = field(default_factory=list)  # officer accounts: anonymised
    kept_accounts: list[User] = field(default_factory=list)  # staff and makers: not here
    messages: list[OutboundEmail] = field(default_factory=list)
    suppressed: bool = False

    @property
    def unsent_to_them(self) -> int:
        """Messages to the address not sent yet: removal cancels them."""
        return sum(
            1
            for m in self.messages
            if m.to_address.strip().lower() == self.email and m.status not in ("sent", "cancelled")
        )


def find_personal_data(email: str) -> PersonalData:
    address = email.strip().lower()
    users = list(db.session.scalars(sa.select(User).where(sa.func.lower(User.email) == address)))
    officers = [u for u in users if u.role == "officer"]
    inquiries = inquiry_privacy.inquiries_of(address, [u.id for u in officers])
    references = [i.reference for i in inquiries]
    return PersonalData(
        email=address,
        inquiries=inquiries,
        accounts=officers,
        kept_accounts=[u for u in users if u.role != "officer"],
        messages=mail.messages_about(address, references),
        suppressed=mail.is_suppressed(address),
    )


@dataclass
class Erasure:
    inquiries: int
    accounts: int
    messages: list[OutboundEmail]
    cancelled: int


def erase_personal_data(actor: User, email: str) -> Erasure:
    """Remove what the site holds about this address (see the module's note). An address of a
    staff or manufacturer account is refused: those are handled as accounts."""
    found = find_personal_data(email)
    if found.kept_accounts:
        # Their mail (inquiries for a maker, staff notices) must not stop by mistake.
        raise ServiceError(
            None,
            _(
                "This address belongs to a staff or manufacturer account: nothing was removed. "
                "Change or deactivate that account under Users."
            ),
        )
    values: set[str] = set()
    for inquiry in found.inquiries:
        values.update(inquiry_privacy.personal_values(inquiry))
    for user in found.accounts:
        values.update(v for v in (user.name, user.organisation, user.job_title) if v)
    # Mail first: it is found by the references and values the inquiries still hold.
    unsent = found.unsent_to_them
    changed = mail.forget_address(
        found.email, sorted(values), [i.reference for i in found.inquiries]
    )
    for inquiry in found.inquiries:
        inquiry_privacy.anonymise_inquiry(actor, inquiry)
    for user in found.accounts:
        _anonymise_account(actor, user)
    db.session.execute(
        sa.delete(AccountToken).where(
            sa.or_(
                sa.func.lower(AccountToken.email) == found.email,
                AccountToken.user_id.in_([u.id for u in found.accounts]),
            )
        )
    )
    suppression = mail.suppress_address(found.email)
    record_change(
        actor,
        suppression,
        "privacy request",
        None,
        f"Personal data removed on request: {len(found.inquiries)} inquiries, "
        f"{len(found.accounts)} accounts, {len(changed)} e-mails "
        f"({unsent} not yet sent, cancelled); later mail to the address stopped.",
    )
    logger.info(
        "User %s removed personal data on request (privacy request %s)", actor.id, suppression.id
    )
    return Erasure(len(found.inquiries), len(found.accounts), changed, unsent)


def _anonymise_account(actor: User, user: User) -> None:
    """An officer account keeps its id (inquiries and history point at it) and nothing else."""
    user.email = f"removed-{user.id}@removed.invalid"  # unique, and no one's address
    user.name = user.organisation = user.job_title = user.city = user.country = None
    user.password_hash = None
    user.active = False
    user.email_confirmed_at = None
    end_sessions(user)
    record_change(actor, user, "personal data", None, "Removed on request")
