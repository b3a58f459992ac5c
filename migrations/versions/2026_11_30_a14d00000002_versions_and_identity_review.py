"""entry versions and identity review

Products, manufacturers and approvals get a version, checked and bumped on every update
(optimistic locking: an edit based on an older version is refused, not saved over another).
A verified manufacturer's change of its name, website, contact e-mail or export permission
number waits in identity_changes for staff review.

Revision ID: a14d00000002
Revises: a14c00000001
Create Date: 2026-11-30 19:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a14d00000002'
down_revision = 'a14c00000001'
branch_labels = None
depends_on = None


VERSIONED = ('products', 'manufacturers', 'approvals')


def upgrade():
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('version', sa.Integer(), server_default='1', nullable=False)
            )
    op.create_table(
        'identity_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('manufacturer_id', sa.Integer(), nullable=False),
        sa.Column('requested', sa.JSON(), nullable=False),
        sa.Column('previous', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reason', sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ['decided_by_id'], ['users.id'],
            name=op.f('fk_identity_changes_decided_by_id_users'),
        ),
        sa.ForeignKeyConstraint(
            ['manufacturer_id'], ['manufacturers.id'],
            name=op.f('fk_identity_changes_manufacturer_id_manufacturers'),
        ),
        sa.ForeignKeyConstraint(
            ['requested_by_id'], ['users.id'],
            name=op.f('fk_identity_changes_requested_by_id_users'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_changes')),
    )
    with op.batch_alter_table('identity_changes', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_identity_changes_manufacturer_id'), ['manufacturer_id'], unique=False
        )
        batch_op.create_index(
            'uq_identity_changes_pending',
            ['manufacturer_id'],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )


def downgrade():
    with op.batch_alter_table('identity_changes', schema=None) as batch_op:
        batch_op.drop_index('uq_identity_changes_pending')
        batch_op.drop_index(batch_op.f('ix_identity_changes_manufacturer_id'))
    op.drop_table('identity_changes')
    for table in reversed(VERSIONED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
