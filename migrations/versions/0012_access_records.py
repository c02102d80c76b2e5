"""records of processing (处理活动记录): whole reads of personal data, append-only

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 23:40:00.000000

The table refuses UPDATE and DELETE by trigger, on SQLite and PostgreSQL alike.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

MESSAGE = 'access records are append-only'


def upgrade():
    op.create_table('access_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=60), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('subject_kind', sa.String(length=12), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('fields', sa.String(length=120), nullable=False),
    sa.Column('endpoint', sa.String(length=200), nullable=False),
    sa.Column('purpose', sa.String(length=30), nullable=False),
    sa.Column('request_id', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_records'))
    )
    with op.batch_alter_table('access_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_records_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_records_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_records_subject_id'), ['subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_records_region_code'), ['region_code'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            "CREATE FUNCTION access_records_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql"
        )
        for verb in ('update', 'delete'):
            op.execute(
                f"CREATE TRIGGER access_records_no_{verb} BEFORE {verb.upper()} ON access_records "
                "FOR EACH ROW EXECUTE FUNCTION access_records_append_only()"
            )
    else:
        for verb in ('update', 'delete'):
            op.execute(
                f"CREATE TRIGGER access_records_no_{verb} BEFORE {verb.upper()} ON access_records "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )


def downgrade():
    for verb in ('update', 'delete'):
        op.execute(f"DROP TRIGGER IF EXISTS access_records_no_{verb}" + (
            " ON access_records" if op.get_bind().dialect.name == 'postgresql' else ''))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP FUNCTION IF EXISTS access_records_append_only()")
    with op.batch_alter_table('access_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_records_region_code'))
        batch_op.drop_index(batch_op.f('ix_access_records_subject_id'))
        batch_op.drop_index(batch_op.f('ix_access_records_user_id'))
        batch_op.drop_index(batch_op.f('ix_access_records_at'))

    op.drop_table('access_records')
