"""The ``daiban`` commands of personal-data protection: keys, rotation (and their reports)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from dispatch import crypto
from dispatch.extensions import db
from dispatch.services.key_rotation import rotate_keys, stale_counts


@click.command("generate-key")
@click.option("--id", "key_id", default="", help="key id to print before the key, e.g. 2026a")
def generate_key_cmd(key_id: str) -> None:
    """Print a fresh 256-bit key for DAIBAN_DATA_KEYS (with --id) or DAIBAN_INDEX_KEY."""
    key = crypto.generate_key()
    click.echo(f"{key_id}:{key}" if key_id else key)


@click.command("rotate-keys")
@click.option("--batch", type=click.IntRange(1, 100_000), default=500, show_default=True)
@click.option("--check", is_flag=True, help="only count rows still under an older key")
@with_appcontext
def rotate_keys_cmd(batch: int, check: bool) -> None:
    """Re-encrypt every sealed value under the newest key of DAIBAN_DATA_KEYS (resumable)."""
    ring = crypto.keyring()
    if ring.development:
        click.echo("注意：开发密钥 / note: running on the development key", err=True)
    if not check:
        try:
            report = rotate_keys(
                db.session,
                batch=batch,
                on_batch=lambda table, n: click.echo(f"  {table}: {n} rows re-encrypted"),
            )
        except crypto.DecryptError as err:
            raise click.ClickException(f"{err}; already moved rows stay moved") from None
        moved = sum(report.rewritten.values())
        click.echo(
            f"已用密钥 {report.key_id} 重新加密 {moved} 行 / "
            f"{moved} rows re-encrypted under key {report.key_id} in {report.batches} batches"
        )
    left = stale_counts(db.session)
    click.echo(f"旧密钥下剩余 / rows left under older keys: {sum(left.values())} {left}")


#: Added to the ``daiban`` group by :mod:`dispatch.cli`.
COMMANDS = (generate_key_cmd, rotate_keys_cmd)
