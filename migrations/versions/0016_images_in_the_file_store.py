"""signatures and photos out of the rows: sealed files by content hash, the rows keep the hash

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 00:30:00.000000

The receipts' signatures and photos and the entrustments' signatures and thumbprints were
sealed text in their rows (0008, 0013). Each goes to the app's file store
(dispatch.filestore: FILES_DIR, sealed under the newest data key, named by a keyed hash of
the image), and the row keeps the hash. The downgrade reads every file back into its row,
sealed as before, and deletes the files.
"""
from alembic import op
import sqlalchemy as sa
from flask import current_app

from dispatch import crypto


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

# table -> {image column (the old, sealed text): its hash column}
MOVED = {
    'custody_events': {'signature_png': 'signature_hash', 'photo_jpeg': 'photo_hash'},
    'entrustments': {'signature_png': 'signature_hash', 'thumbprint_jpeg': 'thumbprint_hash'},
}
BATCH = 500


def _images():
    return current_app.extensions['daiban.files']


def _rows(conn, name, columns):
    """Every row of the table, a batch at a time, in primary-key order."""
    table = sa.table(name, sa.column('id'), *(sa.column(c, sa.Text) for c in columns))
    last = 0
    while True:
        stmt = sa.select(table).where(table.c.id > last).order_by(table.c.id).limit(BATCH)
        batch = conn.execute(stmt).mappings().all()
        if not batch:
            return
        yield table, batch
        last = batch[-1]['id']


def _move(conn, name, pairs, change):
    for table, batch in _rows(conn, name, [*pairs, *pairs.values()]):
        for row in batch:
            values = change(name, pairs, row)
            if values:
                conn.execute(table.update().where(table.c.id == row['id']).values(**values))


def _to_file(name, pairs, row):
    out = {}
    for image, digest in pairs.items():
        sealed = row[image]
        if sealed:
            out[digest] = _images().put(crypto.decrypt(sealed, f'{name}.{image}'))
    return out


def _to_row(name, pairs, row):
    out = {}
    for image, digest in pairs.items():
        if row[digest]:
            out[image] = crypto.encrypt(_images().get(row[digest]), f'{name}.{image}')
    return out


def upgrade():
    for name, pairs in MOVED.items():
        with op.batch_alter_table(name, schema=None) as batch_op:
            for digest in pairs.values():
                batch_op.add_column(sa.Column(digest, sa.String(64), nullable=True))
                batch_op.create_index(f'ix_{name}_{digest}', [digest], unique=False)
    conn = op.get_bind()
    for name, pairs in MOVED.items():
        _move(conn, name, pairs, _to_file)
        with op.batch_alter_table(name, schema=None) as batch_op:
            for image in pairs:
                batch_op.drop_column(image)


def downgrade():
    for name, pairs in MOVED.items():
        with op.batch_alter_table(name, schema=None) as batch_op:
            for image in pairs:
                batch_op.add_column(sa.Column(image, sa.Text(), nullable=True))
    conn = op.get_bind()
    names = set()
    for name, pairs in MOVED.items():
        _move(conn, name, pairs, _to_row)
        for table, batch in _rows(conn, name, pairs.values()):
            names |= {row[d] for row in batch for d in pairs.values() if row[d]}
        with op.batch_alter_table(name, schema=None) as batch_op:
            for digest in pairs.values():
                batch_op.drop_index(f'ix_{name}_{digest}')
                batch_op.drop_column(digest)
    # The images are back in their rows: the files go (after the rows hold them).
    for digest in names:
        _images().delete(digest)
