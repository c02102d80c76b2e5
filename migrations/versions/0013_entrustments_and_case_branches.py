"""entrustments (代办委托书); a case's clock stops (补正, 中止) and its refusal

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 23:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('entrustments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('materials', sa.JSON(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('captured_at', sa.String(length=20), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('signature_png', sa.Text(), nullable=True),
    sa.Column('thumbprint_jpeg', sa.Text(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('revoke_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_entrustments_agent_id_agents')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_entrustments_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_entrustments_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_entrustments_revoked_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entrustments'))
    )
    with op.batch_alter_table('entrustments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_entrustments_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_entrustments_case_id'), ['case_id'], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paused_since', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('paused_days', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('resume_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('refusal_kind', sa.String(length=20), server_default='', nullable=False))
        batch_op.add_column(sa.Column('refusal_reason', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('refusal_reason')
        batch_op.drop_column('refusal_kind')
        batch_op.drop_column('resume_status')
        batch_op.drop_column('paused_days')
        batch_op.drop_column('paused_since')

    with op.batch_alter_table('entrustments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entrustments_case_id'))
        batch_op.drop_index(batch_op.f('ix_entrustments_agent_id'))

    op.drop_table('entrustments')
