"""product photos

Each product photo's row: its alt text, its place in the product's order and the widths its
resized files are stored at (supplies/photos.py).

Revision ID: a17b00000007
Revises: a17a00000006
Create Date: 2026-11-30 22:10:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a17b00000007'
down_revision = 'a17a00000006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'product_photos',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('alt_text', sa.String(length=300), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('widths', sa.JSON(), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['product_id'], ['products.id'], name=op.f('fk_product_photos_product_id_products')
        ),
        sa.ForeignKeyConstraint(
            ['uploaded_by_id'], ['users.id'],
            name=op.f('fk_product_photos_uploaded_by_id_users'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_product_photos')),
        sa.UniqueConstraint('token', name=op.f('uq_product_photos_token')),
    )
    with op.batch_alter_table('product_photos', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_product_photos_product_id'), ['product_id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('product_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_photos_product_id'))
    op.drop_table('product_photos')
