"""personal data sealed at rest: ID numbers, phones, addresses, home points, receipts

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 07:30:00.000000

The values are sealed with the keyring the app runs with (dispatch.crypto: DAIBAN_DATA_KEYS,
or the development key), under the newest key. The ID number's uniqueness moves to its
blind index. The downgrade opens every value again and restores the clear columns.
"""
from alembic import op
import sqlalchemy as sa

from dispatch import crypto


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# table -> (primary key, sealed columns); the column's "table.column" is its AAD context.
SEALED = {
    'applicants': ('id', ('phone', 'id_number', 'address', 'lon', 'lat')),
    'agents': ('id', ('phone',)),
    'outbox': ('id', ('phone',)),
    'custody_events': ('id', ('signature_png', 'photo_jpeg')),
}
FLOATS = {'lon', 'lat'}
BATCH = 500


def _rows(conn, name, pk, columns):
    """Every row of the table, a batch at a time, in primary-key order."""
    table = sa.table(name, sa.column(pk), *(sa.column(c) for c in columns))
    last = None
    while True:
        stmt = sa.select(table).order_by(table.c[pk]).limit(BATCH)
        if last is not None:
            stmt = stmt.where(table.c[pk] > last)
        batch = conn.execute(stmt).mappings().all()
        if not batch:
            return
        yield table, batch
        last = batch[-1][pk]


def _seal(name, column, value):
    if value is None or value == '':
        return value
    text = str(value)
    if text.startswith(crypto.PREFIX + '.'):
        return text  # sealed already (a re-run after a failure half-way)
    if column in FLOATS:
        text = repr(float(text))
    if column == 'id_number':
        text = text.strip().upper()
    return crypto.encrypt(text, f'{name}.{column}')


def _open(name, column, value):
    if value is None or value == '' or not str(value).startswith(crypto.PREFIX + '.'):
        return value
    return crypto.decrypt(value, f'{name}.{column}')


def _rewrite(conn, change):
    for name, (pk, columns) in SEALED.items():
        for table, batch in _rows(conn, name, pk, columns):
            for row in batch:
                values = {c: change(name, c, row[c]) for c in columns}
                conn.execute(table.update().where(table.c[pk] == row[pk]).values(**values))


def _as_text(batch_op, column, was):
    batch_op.alter_column(
        column, existing_type=was, type_=sa.Text(), postgresql_using=f'{column}::text'
    )


def upgrade():
    with op.batch_alter_table('applicants', schema=None) as batch_op:
        batch_op.drop_index('ix_applicants_phone')
        batch_op.drop_constraint('uq_applicants_id_number', type_='unique')
        for column, was in (
            ('phone', sa.String(11)),
            ('id_number', sa.String(18)),
            ('address', sa.String(200)),
            ('lon', sa.Double()),
            ('lat', sa.Double()),
        ):
            _as_text(batch_op, column, was)
        batch_op.add_column(sa.Column('id_number_index', sa.String(64), nullable=True))
    for name in ('agents', 'outbox'):
        with op.batch_alter_table(name, schema=None) as batch_op:
            _as_text(batch_op, 'phone', sa.String(11))
    conn = op.get_bind()
    _rewrite(conn, _seal)
    for table, batch in _rows(conn, 'applicants', 'id', ('id_number', 'id_number_index')):
        for row in batch:
            clear = _open('applicants', 'id_number', row['id_number'])
            index = crypto.id_number_index(clear)
            conn.execute(
                table.update().where(table.c.id == row['id']).values(id_number_index=index)
            )
    with op.batch_alter_table('applicants', schema=None) as batch_op:
        batch_op.alter_column('id_number_index', existing_type=sa.String(64), nullable=False)
        batch_op.create_unique_constraint('uq_applicants_id_number_index', ['id_number_index'])


def downgrade():
    _rewrite(op.get_bind(), _open)
    for name in ('agents', 'outbox'):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.alter_column('phone', existing_type=sa.Text(), type_=sa.String(11))
    with op.batch_alter_table('applicants', schema=None) as batch_op:
        batch_op.drop_constraint('uq_applicants_id_number_index', type_='unique')
        batch_op.drop_column('id_number_index')
        for column, now in (
            ('phone', sa.String(11)),
            ('id_number', sa.String(18)),
            ('address', sa.String(200)),
        ):
            batch_op.alter_column(column, existing_type=sa.Text(), type_=now)
        for column in ('lon', 'lat'):
            batch_op.alter_column(
                column,
                existing_type=sa.Text(),
                type_=sa.Double(),
                postgresql_using=f'{column}::double precision',
            )
        batch_op.create_unique_constraint('uq_applicants_id_number', ['id_number'])
        batch_op.create_index('ix_applicants_phone', ['phone'], unique=False)
