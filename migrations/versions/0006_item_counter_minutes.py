"""each service item says how long its in-person business takes at the counter

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('service_items', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('counter_minutes', sa.Integer(), nullable=False, server_default='30')
        )


def downgrade():
    with op.batch_alter_table('service_items', schema=None) as batch_op:
        batch_op.drop_column('counter_minutes')
