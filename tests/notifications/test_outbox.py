"""The sender settles every claimed message: sent, retried with backoff, or dead-lettered."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from notifications.channels.fcm import FcmChannel
from notifications.channels.log import LogChannel
from notifications.memory_store import MemoryOutboxStore
from notifications.messages import OutboxMessage, Recipient, SendResult
from notifications.outbox import Sender
from notifications.schedule import CHINA_TZ, QuietHours, RetryPolicy
from tests.notifications.builders import agent_push, villager_sms
from tests.notifications.conftest import FakeClock
from tests.notifications.fake_fcm import FakeFcm
from tests.notifications.scripted import ScriptedChannel


def make_sender(clock: FakeClock, **overrides: object) -> Sender:
    options: dict[str, object] = {
        "worker_id": "w1",
        "retry": RetryPolicy(base=10, cap=600, max_attempts=4, jitter=0.5),
        "ack_timeout": None,
        "now_fn": clock,
        "rng": random.Random(7),
    }
    options.update(overrides)
    return Sender(**options)  # type: ignore[arg-type]


def test_log_channel_is_the_dev_default_and_records_everything(clock: FakeClock) -> None:
    """Every message is 'sent' as log-<n> and kept where a dispatcher can see it."""
    store, log = MemoryOutboxStore(), LogChannel()
    messages = [agent_push(1), villager_sms(2)]
    for m in messages:
        store.enqueue(m)
    report = make_sender(clock).drain(store, {"push": log, "sms": log})
    assert (report.sent, report.claimed) == (2, 2)
    assert [e.message_id for e in log.sent] == [m.id for m in messages]
    assert store.row(messages[0].id).provider_message_id == "log-1"
    assert "林阿婆您好" in log.sent[1].text


def test_every_attempt_and_the_provider_id_are_recorded(clock: FakeClock) -> None:
    """A retry then a success leave two attempt rows and the provider's id."""
    store, push = MemoryOutboxStore(), ScriptedChannel("push")
    message = agent_push(1)
    store.enqueue(message)
    push.script(message.id, SendResult.retry("503"), SendResult.sent("projects/p/messages/9"))
    sender = make_sender(clock)
    sender.drain(store, {"push": push})
    clock.advance(3600)
    sender.drain(store, {"push": push})
    row = store.row(message.id)
    assert [a.status for a in row.attempts] == ["retry", "sent"]
    assert (row.status, row.provider_message_id) == ("sent", "projects/p/messages/9")


def test_backoff_is_exponential_with_jitter_and_honours_retry_after(clock: FakeClock) -> None:
    """Delays grow 10, 20, 40 s (less up to half jitter); a Retry-After of 300 s wins."""
    store, push = MemoryOutboxStore(), ScriptedChannel("push")
    message = agent_push(1)
    store.enqueue(message)
    push.script(
        message.id,
        SendResult.retry("503"),
        SendResult.retry("503"),
        SendResult.retry("quota", retry_after=300),
    )
    sender = make_sender(clock, retry=RetryPolicy(base=10, cap=600, max_attempts=9, jitter=0.5))
    waits = []
    for _ in range(3):
        started = clock()
        sender.drain(store, {"push": push})
        due = store.row(message.id).next_attempt_at
        assert due is not None
        waits.append((due - started).total_seconds())
        clock.at = due
    assert 5 <= waits[0] <= 10 and 10 <= waits[1] <= 20
    assert waits[2] == 300
    # Not due a moment before the wait is over, due right after.
    clock.advance(-1)
    assert sender.drain(store, {"push": push}).claimed == 0
    clock.advance(1)
    assert sender.drain(store, {"push": push}).sent == 1


def test_dead_letter_after_max_attempts(clock: FakeClock) -> None:
    """Four transient failures with max_attempts=4 end in dead letters, with the reason."""
    store, sms = MemoryOutboxStore(), ScriptedChannel("sms")
    message = villager_sms(1, urgent=True)
    store.enqueue(message)
    sms.script(message.id, *[SendResult.retry("isp.SYSTEM_ERROR")] * 4)
    sender = make_sender(clock)
    for _ in range(4):
        sender.drain(store, {"sms": sms})
        clock.advance(3600)
    row = store.row(message.id)
    assert row.status == "dead"
    assert row.last_error == "gave up after 4 attempts: isp.SYSTEM_ERROR"
    assert len(row.attempts) == 4
    assert sender.drain(store, {"sms": sms}).claimed == 0


def test_a_dead_letter_can_be_resent(clock: FakeClock) -> None:
    """A dispatcher's resend makes a dead letter due again."""
    store, sms = MemoryOutboxStore(), ScriptedChannel("sms")
    message = villager_sms(1, urgent=True)
    store.enqueue(message)
    sms.script(message.id, SendResult.dead("isv.MOBILE_NUMBER_ILLEGAL"))
    sender = make_sender(clock)
    sender.drain(store, {"sms": sms})
    assert store.row(message.id).status == "dead"
    store.resend(message.id)
    sender.drain(store, {"sms": sms})
    assert store.row(message.id).status == "sent"


@pytest.mark.parametrize(
    ("local_time", "deferred_until"),
    [
        (
            datetime(2025, 3, 10, 22, 30, tzinfo=CHINA_TZ),
            datetime(2025, 3, 11, 7, 0, tzinfo=CHINA_TZ),
        ),
        (
            datetime(2025, 3, 11, 0, 5, tzinfo=CHINA_TZ),
            datetime(2025, 3, 11, 7, 0, tzinfo=CHINA_TZ),
        ),
        (
            datetime(2025, 3, 11, 6, 59, tzinfo=CHINA_TZ),
            datetime(2025, 3, 11, 7, 0, tzinfo=CHINA_TZ),
        ),
    ],
)
def test_quiet_hours_defer_villager_sms_to_seven(
    local_time: datetime, deferred_until: datetime
) -> None:
    """Between 22:00 and 07:00 China time a non-urgent villager SMS waits until 07:00."""
    clock = FakeClock(local_time.astimezone(UTC))
    store, sms = MemoryOutboxStore(), ScriptedChannel("sms")
    message = villager_sms(1)
    store.enqueue(message)
    report = make_sender(clock).drain(store, {"sms": sms})
    assert (report.deferred, sms.calls) == (1, [])
    row = store.row(message.id)
    assert row.next_attempt_at == deferred_until
    assert row.attempts == []  # waiting is not a failed attempt
    clock.at = deferred_until.astimezone(UTC)
    assert make_sender(clock).drain(store, {"sms": sms}).sent == 1


def test_quiet_hours_hold_staff_sms_too() -> None:
    """An overdue-rectification SMS to a dispatcher at 23:00 waits for 07:00 as well."""
    clock = FakeClock(datetime(2025, 3, 10, 23, 0, tzinfo=CHINA_TZ).astimezone(UTC))
    store, sms = MemoryOutboxStore(), ScriptedChannel("sms")
    message = OutboxMessage(
        id=str(uuid.uuid4()),
        kind="rectification_overdue",
        channel="sms",
        recipient=Recipient("staff", "7", phone="13800000101"),
        variables={"township": "玉窖镇", "rectification": 3, "stage": "核实", "due": "3月7日"},
    )
    store.enqueue(message)
    assert make_sender(clock).drain(store, {"sms": sms}).deferred == 1
    assert sms.calls == []


def test_quiet_hours_let_urgent_sms_and_agent_messages_through() -> None:
    """Urgent villager SMS, agent SMS and pushes go out at night."""
    clock = FakeClock(datetime(2025, 3, 10, 23, 0, tzinfo=CHINA_TZ).astimezone(UTC))
    store, sms, push = MemoryOutboxStore(), ScriptedChannel("sms"), ScriptedChannel("push")
    store.enqueue(villager_sms(1, urgent=True))
    store.enqueue(agent_push(2).sms_fallback())
    store.enqueue(agent_push(3))
    report = make_sender(clock).drain(store, {"sms": sms, "push": push})
    assert (report.sent, report.deferred) == (3, 0)


@pytest.mark.parametrize(
    ("hour", "minute", "quiet"),
    [(21, 59, False), (22, 0, True), (3, 0, True), (6, 59, True), (7, 0, False), (12, 0, False)],
)
def test_quiet_hours_boundaries(hour: int, minute: int, quiet: bool) -> None:
    """22:00 is quiet, 07:00 is not."""
    at = datetime(2025, 3, 10, hour, minute, tzinfo=CHINA_TZ)
    assert QuietHours().is_quiet(at) is quiet


def test_unacknowledged_push_falls_back_to_sms(clock: FakeClock) -> None:
    """A push not acked within the timeout produces one SMS to the agent's phone."""
    store, push, sms = MemoryOutboxStore(), ScriptedChannel("push"), ScriptedChannel("sms")
    acked, ignored = agent_push(1), agent_push(2, phone="13700001111")
    store.enqueue(acked)
    store.enqueue(ignored)
    sender = make_sender(clock, ack_timeout=timedelta(minutes=10))
    channels = {"push": push, "sms": sms}
    sender.drain(store, channels)
    store.acknowledge(acked.id, clock())
    clock.advance(9 * 60)
    assert sender.drain(store, channels).fallbacks == 0
    clock.advance(61)
    report = sender.drain(store, channels)
    assert (report.fallbacks, report.sent) == (1, 1)
    [sms_call] = sms.calls
    fallback = store.row(sms_call[0]).message
    assert (fallback.fallback_of, fallback.channel, fallback.recipient.phone) == (
        ignored.id,
        "sms",
        "13700001111",
    )
    clock.advance(3600)
    assert sender.drain(store, channels).fallbacks == 0  # only once


def test_permanently_failed_push_falls_back_to_sms(clock: FakeClock) -> None:
    """A dead push to an agent is dead-lettered and an SMS takes its place at once."""
    store, push, sms = MemoryOutboxStore(), ScriptedChannel("push"), ScriptedChannel("sms")
    message = agent_push(1)
    store.enqueue(message)
    push.script(message.id, SendResult.dead("all device tokens unregistered"))
    report = make_sender(clock).drain(store, {"push": push, "sms": sms})
    assert (report.dead, report.fallbacks, report.sent) == (1, 1, 1)
    assert store.row(message.id).status == "dead"
    assert store.row(message.sms_fallback().id).status == "sent"


def test_enqueue_is_idempotent_on_the_message_id(clock: FakeClock) -> None:
    """The same id twice is one row: the id is the de-duplication key."""
    store = MemoryOutboxStore()
    message = agent_push(1)
    assert store.enqueue(message) is True
    assert store.enqueue(message) is False
    assert store.enqueue(message.sms_fallback()) is True
    assert store.enqueue(message.sms_fallback()) is False
    assert len(store.rows()) == 2


def test_a_lease_keeps_other_workers_off_until_it_expires(clock: FakeClock) -> None:
    """Claimed rows are invisible to other workers until the lease runs out."""
    store = MemoryOutboxStore(lease=timedelta(seconds=30))
    for n in range(5):
        store.enqueue(agent_push(n))
    first = store.claim_batch("w1", 3, clock())
    assert len(first) == 3
    assert len(store.claim_batch("w2", 10, clock())) == 2
    assert store.claim_batch("w2", 10, clock()) == []
    clock.advance(31)  # w1 crashed: its lease lapses and w2 takes the rows
    assert {m.id for m in store.claim_batch("w2", 10, clock())} >= {m.id for m in first}


def test_dead_token_is_pruned_end_to_end(
    fake_fcm: FakeFcm, fcm_channel: FcmChannel, clock: FakeClock
) -> None:
    """UNREGISTERED from the stand-in prunes the token; the next push skips it."""
    store = MemoryOutboxStore()
    fake_fcm.fail_token("tok-dead", "unregistered")
    store.enqueue(agent_push(1, tokens=("tok-dead", "tok-live")))
    report = make_sender(clock).drain(store, {"push": fcm_channel})
    assert (report.sent, report.pruned_tokens) == (1, 1)
    assert store.pruned_tokens == {"tok-dead"}
    later = agent_push(2, tokens=("tok-dead", "tok-live"))
    store.enqueue(later)
    [claimed] = store.claim_batch("w1", 10, clock())
    assert claimed.recipient.device_tokens == ("tok-live",)


def test_quota_retry_after_from_the_stand_in_schedules_the_retry(
    fake_fcm: FakeFcm, fcm_channel: FcmChannel, clock: FakeClock
) -> None:
    """A 429 with Retry-After: 120 from FCM puts the next attempt 120 s later."""
    store = MemoryOutboxStore()
    message = agent_push(1)
    store.enqueue(message)
    fake_fcm.fail_next("quota", retry_after="120")
    make_sender(clock).drain(store, {"push": fcm_channel})
    assert store.row(message.id).next_attempt_at == clock() + timedelta(seconds=120)


def test_a_missing_channel_or_a_crashing_one_means_retry(clock: FakeClock) -> None:
    """Configuration or channel bugs do not lose messages or stop the sender."""

    class Broken:
        name = "push"

        def send_batch(self, messages: object) -> list[SendResult]:
            raise RuntimeError("boom")

    store = MemoryOutboxStore()
    push, sms = agent_push(1), villager_sms(2, urgent=True)
    store.enqueue(push)
    store.enqueue(sms)
    report = make_sender(clock).drain(store, {"push": Broken()})
    assert report.retried == 2
    assert "boom" in (store.row(push.id).last_error or "")
    assert "no channel" in (store.row(sms.id).last_error or "")


def test_render_errors_are_dead_letters(clock: FakeClock) -> None:
    """A message missing a template variable is dead with the variable's name."""
    store = MemoryOutboxStore()
    message = villager_sms(1, urgent=True)
    broken = type(message)(**{**message.__dict__, "variables": {"name": "林阿婆"}})
    store.enqueue(broken)
    make_sender(clock).drain(store, {"sms": LogChannel("sms")})
    row = store.row(broken.id)
    assert row.status == "dead" and "service" in (row.last_error or "")


def test_retry_policy_rejects_nonsense() -> None:
    """Bad policy values are ValueErrors naming the field."""
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="jitter"):
        RetryPolicy(jitter=2)


def test_quiet_hours_can_be_switched_off() -> None:
    """quiet_hours=None sends villager SMS at night too."""
    clock = FakeClock(datetime(2025, 3, 10, 23, 0, tzinfo=CHINA_TZ).astimezone(UTC))
    store, sms = MemoryOutboxStore(), ScriptedChannel("sms")
    store.enqueue(villager_sms(1))
    assert make_sender(clock, quiet_hours=None).drain(store, {"sms": sms}).sent == 1
