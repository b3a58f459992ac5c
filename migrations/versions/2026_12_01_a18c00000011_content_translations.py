"""Content translations: prose fields of products, profiles and articles in other languages

Revision ID: a18c00000011
Revises: a18b00000010
Create Date: 2026-12-01 00:40:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a18c00000011'
down_revision = 'a18b00000010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'content_translations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('object_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('field', sa.String(length=40), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ['updated_by_id'], ['users.id'],
            name=op.f('fk_content_translations_updated_by_id_users'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_content_translations')),
        sa.UniqueConstraint(
            'kind', 'object_id', 'language', 'field', name='uq_content_translations_field'
        ),
    )
    with op.batch_alter_table('content_translations', schema=None) as batch_op:
        batch_op.create_index('ix_content_translations_object', ['kind', 'object_id'], unique=False)


def downgrade():
    with op.batch_alter_table('content_translations', schema=None) as batch_op:
        batch_op.drop_index('ix_content_translations_object')
    op.drop_table('content_translations')
