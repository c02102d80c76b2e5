"""a dispatcher marks an unapplied stop report as checked: who, when, and a note

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 14:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('plan_stop_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('resolved_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('resolution_note', sa.Text(), nullable=False, server_default=''))
        batch_op.create_foreign_key(batch_op.f('fk_plan_stop_events_resolved_by_id_users'), 'users', ['resolved_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('plan_stop_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_plan_stop_events_resolved_by_id_users'), type_='foreignkey')
        batch_op.drop_column('resolution_note')
        batch_op.drop_column('resolved_by_id')
        batch_op.drop_column('resolved_at')
