"""好差评: overdue rectifications flagged (when, at which step); appeals' decision deadline

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 23:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rectifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flagged_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('flagged_stage', sa.String(length=8), nullable=True))
    with op.batch_alter_table('rating_appeals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decide_due', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('rating_appeals', schema=None) as batch_op:
        batch_op.drop_column('decide_due')
    with op.batch_alter_table('rectifications', schema=None) as batch_op:
        batch_op.drop_column('flagged_stage')
        batch_op.drop_column('flagged_at')
