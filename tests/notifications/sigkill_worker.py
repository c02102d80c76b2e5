"""A notify worker process on a SQLite outbox, pushing to the FCM stand-in.

Run as ``python -m tests.notifications.sigkill_worker DB CREDENTIALS FCM_URL BATCH LEASE``.
"""

from __future__ import annotations

import logging
import sys
import threading
from datetime import timedelta

from notifications.channels.fcm import FcmChannel, FcmConfig
from notifications.outbox import Sender
from notifications.worker import fixed_store, run_worker
from tests.notifications.sqlite_store import SqliteOutboxStore


def main(argv: list[str]) -> int:
    db, credentials, fcm_url, batch, lease = argv
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    store = SqliteOutboxStore(db, lease=timedelta(seconds=float(lease)))
    channel = FcmChannel(
        FcmConfig(credentials, fcm_url=fcm_url, sdk_retries=0, sdk_backoff_factor=0.0)
    )
    print("ready", flush=True)
    run_worker(
        fixed_store(store),
        {"push": channel},
        threading.Event(),
        poll_interval=0.05,
        sender=Sender(batch_size=int(batch), ack_timeout=None),
    )
    channel.close()
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
