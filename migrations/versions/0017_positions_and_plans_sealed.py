"""positions sealed at rest: plan stops, hand-overs, and the plans' routing documents

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08 00:40:00.000000

A stop at a villager's home, a hand-over at their door, and the VROOM problem and solution of
a plan (its jobs' locations) hold home points, which 0008 sealed in ``applicants`` only. The
values are sealed with the keyring the app runs with, under the newest key (as 0008 does);
the downgrade opens them again. On SQLite the columns keep their declared types (a column
holds text whatever it declares; rebuilding ``plans`` would cascade to its routes), on
PostgreSQL they become text.
"""
import json

from alembic import op
import sqlalchemy as sa

from dispatch import crypto


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

# table -> {column: 'float' or 'json'}
SEALED = {
    'plan_stops': {'lon': 'float', 'lat': 'float'},
    'custody_events': {'lon': 'float', 'lat': 'float'},
    'plans': {'problem': 'json', 'solution': 'json'},
}
WAS = {'float': ('double precision', sa.Double()), 'json': ('json', sa.JSON())}
BATCH = 500


def _rows(conn, name, columns):
    table = sa.table(name, sa.column('id'), *(sa.column(c, sa.Text) for c in columns))
    last = 0
    while True:
        stmt = sa.select(table).where(table.c.id > last).order_by(table.c.id).limit(BATCH)
        batch = conn.execute(stmt).mappings().all()
        if not batch:
            return
        yield table, batch
        last = batch[-1]['id']


def _seal(name, column, kind, value):
    if value is None or str(value).startswith(crypto.PREFIX + '.'):
        return value  # nothing, or sealed already (a re-run after a failure half-way)
    if kind == 'float':
        text = repr(float(value))
    else:
        text = json.dumps(json.loads(value) if isinstance(value, str) else value, ensure_ascii=False)
    return crypto.encrypt(text, f'{name}.{column}')


def _open(name, column, kind, value):
    if value is None or not str(value).startswith(crypto.PREFIX + '.'):
        return value
    text = crypto.decrypt(value, f'{name}.{column}')
    return float(text) if kind == 'float' else text


def _rewrite(conn, change):
    for name, columns in SEALED.items():
        for table, batch in _rows(conn, name, columns):
            for row in batch:
                values = {c: change(name, c, kind, row[c]) for c, kind in columns.items()}
                conn.execute(table.update().where(table.c.id == row['id']).values(**values))


def _postgres():
    return op.get_bind().dialect.name == 'postgresql'


def upgrade():
    if _postgres():
        for name, columns in SEALED.items():
            for column, kind in columns.items():
                op.alter_column(
                    name, column, existing_type=WAS[kind][1], type_=sa.Text(),
                    postgresql_using=f'{column}::text',
                )
    _rewrite(op.get_bind(), _seal)


def downgrade():
    _rewrite(op.get_bind(), _open)
    if _postgres():
        for name, columns in SEALED.items():
            for column, kind in columns.items():
                cast, was = WAS[kind]
                op.alter_column(
                    name, column, existing_type=sa.Text(), type_=was,
                    postgresql_using=f'{column}::{cast}',
                )
