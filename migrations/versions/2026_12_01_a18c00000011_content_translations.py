"""Content translations (placeholder, filled by the translations work)

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
    pass


def downgrade():
    pass
