"""privacy requests

Revision ID: a17a00000006
Revises: a14b00000005
Create Date: 2026-11-30 22:10:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a17a00000006'
down_revision = 'a14b00000005'
branch_labels = None
depends_on = None


def upgrade():
    # Addresses whose owners asked for their personal data to be removed (as SHA-256 only).
    op.create_table(
        'mail_suppressions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('address_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_suppressions')),
        sa.UniqueConstraint('address_hash', name=op.f('uq_mail_suppressions_address_hash')),
    )


def downgrade():
    op.drop_table('mail_suppressions')
