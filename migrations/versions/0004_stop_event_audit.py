"""stop events keep the stop id the phone named, and whether they were applied

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 10:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('plan_stop_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reported_stop_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('applied', sa.Boolean(), nullable=False, server_default=sa.true()))
    # Every report so far was applied to the stop it named.
    op.execute('UPDATE plan_stop_events SET reported_stop_id = stop_id')
    with op.batch_alter_table('plan_stop_events', schema=None) as batch_op:
        batch_op.alter_column('reported_stop_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_plan_stop_events_reported_stop_id'), ['reported_stop_id'], unique=False)


def downgrade():
    with op.batch_alter_table('plan_stop_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_stop_events_reported_stop_id'))
        batch_op.drop_column('applied')
        batch_op.drop_column('reported_stop_id')
