"""idempotent inquiry filing

Revision ID: a14e00000003
Revises: a14d00000002
Create Date: 2026-11-30 19:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a14e00000003'
down_revision = 'a14d00000002'
branch_labels = None
depends_on = None


def upgrade():
    # The inquiry form's one-time token (its hash): a form sent twice files nothing new.
    with op.batch_alter_table("inquiries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("form_token_hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_inquiries_form_token_hash"), ["form_token_hash", "manufacturer_id"]
        )


def downgrade():
    with op.batch_alter_table("inquiries", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_inquiries_form_token_hash"), type_="unique")
        batch_op.drop_column("form_token_hash")
