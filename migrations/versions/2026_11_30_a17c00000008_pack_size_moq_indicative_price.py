"""pack size moq indicative price

Revision ID: a17c00000008
Revises: a17b00000007
Create Date: 2026-11-30 22:10:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a17c00000008'
down_revision = 'a17b00000007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pack_size', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('price_min', sa.Numeric(precision=12, scale=4), nullable=True))
        batch_op.add_column(sa.Column('price_max', sa.Numeric(precision=12, scale=4), nullable=True))
        batch_op.add_column(sa.Column('price_currency', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('price_given_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('price_entered_by', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('price_entered_by')
        batch_op.drop_column('price_given_on')
        batch_op.drop_column('price_currency')
        batch_op.drop_column('price_max')
        batch_op.drop_column('price_min')
        batch_op.drop_column('pack_size')
