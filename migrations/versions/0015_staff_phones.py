"""staff phones: township dispatchers and county supervisors get overdue-rectification SMS

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 00:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    # Sealed like every phone (dispatch.models.types.Encrypted): the column holds the token.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.Text(), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('phone')
