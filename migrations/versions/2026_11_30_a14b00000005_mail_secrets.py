"""mail secrets

Revision ID: a14b00000005
Revises: a14e00000003
Create Date: 2026-11-30 19:30:00

"""

import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a14b00000005'
down_revision = 'a14e00000003'
branch_labels = None
depends_on = None


# The links that carry a token, in the bodies of messages sent before their parts were marked.
TOKEN_LINK = re.compile(
    r"\S+/(?:account/(?:password-reset|invitation|confirm)|inquiry/(?:track|respond))/\S+"
)
REDACTED = "[link removed after delivery]"


def upgrade():
    with op.batch_alter_table("outbound_emails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("secrets", sa.JSON(), nullable=True))
    # Messages already sent keep no live link either; those still to send have them marked.
    emails = sa.table(
        "outbound_emails",
        sa.column("id", sa.Integer),
        sa.column("status", sa.String),
        sa.column("body_text", sa.Text),
        sa.column("secrets", sa.JSON),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(emails.c.id, emails.c.status, emails.c.body_text)).all()
    for email_id, status, body in rows:
        links = sorted(set(TOKEN_LINK.findall(body)), key=len, reverse=True)
        if not links:
            continue
        if status == "sent":
            values = {"body_text": TOKEN_LINK.sub(REDACTED, body)}
        else:
            values = {"secrets": links}
        connection.execute(emails.update().where(emails.c.id == email_id).values(**values))


def downgrade():
    with op.batch_alter_table("outbound_emails", schema=None) as batch_op:
        batch_op.drop_column("secrets")
