"""The long-running sender loop behind ``daiban notify-worker``."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from types import FrameType

from notifications.channels.base import Channel
from notifications.outbox import OutboxStore, Sender, SendReport

logger = logging.getLogger(__name__)

StoreFactory = Callable[[], AbstractContextManager[OutboxStore]]


def fixed_store(store: OutboxStore) -> StoreFactory:
    """A store factory that hands out the same store every time (memory, tests)."""
    return lambda: contextlib.nullcontext(store)


@contextlib.contextmanager
def _stop_on_signals(stop_event: threading.Event, install: bool) -> Iterator[None]:
    if not install or threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, _frame: FrameType | None) -> None:
        logger.info("notify worker got signal %d; finishing the current batch", signum)
        stop_event.set()

    previous = {s: signal.signal(s, handle) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_worker(
    store_factory: StoreFactory,
    channels: Mapping[str, Channel],
    stop_event: threading.Event,
    poll_interval: float = 1.0,
    *,
    sender: Sender | None = None,
    install_signal_handlers: bool = True,
) -> SendReport:
    """Send outbox messages until ``stop_event`` is set or SIGTERM/SIGINT arrives.

    Parameters
    ----------
    store_factory
        Called once per pass; returns a context manager giving an :class:`OutboxStore`
        (for SQLAlchemy: a session scope that is closed afterwards).
    channels
        Channels by the message channel name they serve (``"push"``, ``"sms"``, ``"log"``).
    stop_event
        Set it to stop after the current batch.
    poll_interval
        Seconds to wait when nothing was due.
    sender
        The configured sender; a default :class:`Sender` otherwise.
    install_signal_handlers
        Turn SIGTERM and SIGINT into ``stop_event.set()`` (main thread only). A batch in
        flight is finished and settled, so a graceful stop sends nothing twice.

    Returns
    -------
    SendReport
        Totals over the worker's life.
    """
    sender = sender or Sender()
    total = SendReport()
    with _stop_on_signals(stop_event, install_signal_handlers):
        logger.info("notify worker %s started", sender.worker_id)
        while not stop_event.is_set():
            try:
                with store_factory() as store:
                    report = sender.run_once(store, channels)
            except Exception:  # the store may be briefly down; keep the worker alive
                logger.exception("notify worker pass failed")
                report = SendReport()
            total.add(report)
            if not report.claimed:
                stop_event.wait(poll_interval)
        logger.info("notify worker %s stopped: %s", sender.worker_id, total)
    return total
