"""sessions and tokens

Users get a session generation, part of every session's and remember-me cookie's id: raising it
ends all of the user's sessions (sign-out, password reset). Sessions made before this revision
carry a bare user id and are refused, so everyone signs in once more. Link tokens get a payload:
a registration's details wait there until its e-mailed link creates the account.

Revision ID: a14c00000001
Revises: 21b20575b6d7
Create Date: 2026-11-30 19:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a14c00000001'
down_revision = '21b20575b6d7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False)
        )
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payload', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.drop_column('payload')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
