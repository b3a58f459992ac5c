"""Inquiry language: the officer's interface language when filing, and the values that say
each timeline entry again in the reader's language

Revision ID: a18b00000010
Revises: a18a00000009
Create Date: 2026-12-01 00:40:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "a18b00000010"
down_revision = "a18a00000009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("inquiries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))
    with op.batch_alter_table("inquiry_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary_values", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("inquiry_events", schema=None) as batch_op:
        batch_op.drop_column("summary_values")
    with op.batch_alter_table("inquiries", schema=None) as batch_op:
        batch_op.drop_column("language")
