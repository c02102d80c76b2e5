"""entrustments.covers: the agent named, or the township's agents

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 00:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    # Entrustments recorded before this named one agent: they keep covering that agent only.
    with op.batch_alter_table('entrustments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('covers', sa.String(length=20), server_default='agent', nullable=False))


def downgrade():
    with op.batch_alter_table('entrustments', schema=None) as batch_op:
        batch_op.drop_column('covers')
