"""The worker loop stops cleanly on SIGTERM and loses nothing when killed mid-batch."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from notifications.channels.log import LogChannel
from notifications.memory_store import MemoryOutboxStore
from notifications.outbox import Sender
from notifications.worker import fixed_store, run_worker
from tests.notifications.builders import agent_push
from tests.notifications.fake_fcm import FakeFcm
from tests.notifications.sqlite_store import SqliteOutboxStore

ROOT = Path(__file__).resolve().parents[2]


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@contextlib.contextmanager
def start_worker(
    db: Path, fcm: FakeFcm, batch: int, lease: float
) -> Iterator[subprocess.Popen[str]]:
    """Run ``sigkill_worker`` in a child process; it is killed on the way out if still alive."""
    assert fcm.account is not None
    args = [str(db), str(fcm.account.path), fcm.fcm_url, str(batch), str(lease)]
    # The worker's log goes to a file: an unread pipe could fill up and stall it.
    with (db.parent / f"worker-{uuid.uuid4().hex[:8]}.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.notifications.sigkill_worker", *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    try:
        yield process
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


def test_run_worker_drains_and_stops_on_the_event() -> None:
    """In a thread, the loop sends what is due and returns its totals when stopped."""
    store, log, stop = MemoryOutboxStore(), LogChannel("push"), threading.Event()
    for n in range(25):
        store.enqueue(agent_push(n))
    result: list[object] = []
    thread = threading.Thread(
        target=lambda: result.append(
            run_worker(
                fixed_store(store),
                {"push": log},
                stop,
                poll_interval=0.01,
                sender=Sender(batch_size=10, ack_timeout=None),
                install_signal_handlers=False,
            )
        )
    )
    thread.start()
    wait_for(lambda: store.counts()["sent"] == 25, 10, "the worker to send 25")
    stop.set()
    thread.join(5)
    assert not thread.is_alive()
    assert getattr(result[0], "sent", None) == 25


def test_sigterm_stops_the_worker_gracefully(tmp_path: Path, fake_fcm: FakeFcm) -> None:
    """SIGTERM ends the process with status 0 after the current pass."""
    with start_worker(tmp_path / "outbox.sqlite3", fake_fcm, batch=10, lease=5) as worker:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready"
        time.sleep(0.2)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=20) == 0


def test_sigkill_mid_batch_then_restart_loses_nothing(tmp_path: Path, fake_fcm: FakeFcm) -> None:
    """Killed with SIGKILL inside its second batch and restarted, the worker delivers all 200."""
    db = tmp_path / "outbox.sqlite3"
    store = SqliteOutboxStore(db)
    messages = [agent_push(n) for n in range(200)]
    store.enqueue_many(messages)
    ids = {m.id for m in messages}
    assert len(ids) == 200 and all(uuid.UUID(i) for i in ids)

    fake_fcm.delay = 0.05  # each batch of 20 is in flight for a while
    worker: list[subprocess.Popen[str]] = []
    killed = threading.Event()

    def kill_inside_second_batch(accepted: int) -> None:
        if accepted == 30 and not killed.is_set():
            os.kill(worker[0].pid, signal.SIGKILL)
            killed.set()

    fake_fcm.on_accept = kill_inside_second_batch
    with start_worker(db, fake_fcm, batch=20, lease=1) as first:
        worker.append(first)
        assert first.wait(timeout=60) == -signal.SIGKILL
    fake_fcm.on_accept = None
    statuses = store.statuses()
    sent_before = sum(s == "sent" for s in statuses.values())
    assert 20 <= sent_before < 40, statuses  # batch 1 settled, batch 2 was not
    assert len(fake_fcm.snapshot().deliveries) >= 30

    with start_worker(db, fake_fcm, batch=20, lease=1) as restarted:
        wait_for(lambda: all(s == "sent" for s in store.statuses().values()), 60, "all rows sent")
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(timeout=20) == 0
    deliveries = fake_fcm.snapshot().deliveries
    assert set(deliveries) == ids  # every message arrived, nothing else did
    assert sum(deliveries.values()) > 200  # the killed batch was sent again: at least once
    store.close()
