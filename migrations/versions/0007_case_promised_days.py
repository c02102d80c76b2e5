"""a case keeps the working days its item promised when it was accepted

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('promised_days', sa.Integer(), nullable=True))
    # Cases accepted before this revision: the item's promise as it stands is the best record.
    op.execute(
        "UPDATE cases SET promised_days = "
        "(SELECT service_items.promised_days FROM service_items "
        "WHERE service_items.id = cases.item_id)"
    )


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('promised_days')
