"""FcmChannel drives the real firebase-admin SDK against the FCM stand-in."""

from __future__ import annotations

import pytest
from firebase_admin import messaging

from notifications.channels.fcm import FcmChannel, FcmConfig, retry_after_seconds
from notifications.messages import SendResult
from tests.notifications.builders import agent_push
from tests.notifications.conftest import make_fcm_channel
from tests.notifications.fake_fcm import FakeFcm


def test_sends_a_data_message_with_the_dedup_key(
    fake_fcm: FakeFcm, fcm_channel: FcmChannel
) -> None:
    """The push carries message_id, kind and plan_version in data, and a bilingual notification."""
    message = agent_push(1)
    [result] = fcm_channel.send_batch([message])
    assert result.status == "sent"
    assert result.provider_message_id == "projects/daiban-test/messages/1"
    [received] = fake_fcm.snapshot().accepted
    assert received["token"] == "tok-1"
    assert received["data"] == {
        "message_id": message.id,
        "kind": "plan_published",
        "plan_version": "3",
    }
    assert received["notification"]["title"] == "新的派单计划已发布 · New plan published"
    assert "第3版" in received["notification"]["body"]


def test_oauth_token_comes_from_the_service_account_token_uri(
    fake_fcm: FakeFcm, fcm_channel: FcmChannel
) -> None:
    """The SDK posts a JWT signed by the service account key to token_uri, once."""
    fcm_channel.send_batch([agent_push(1), agent_push(2)])
    state = fake_fcm.snapshot()
    assert state.token_requests >= 1
    assert state.assertion_claims[0]["iss"].startswith("notify@daiban-test")
    assert len(state.accepted) == 2
    fcm_channel.send_batch([agent_push(3)])
    assert fake_fcm.snapshot().token_requests == state.token_requests


def test_more_than_500_sends_are_split_into_batches(
    fake_fcm: FakeFcm, fcm_channel: FcmChannel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """501 devices make two send_each calls (500 + 1) and 501 HTTP sends at the stand-in."""
    calls: list[int] = []
    real_send_each = messaging.send_each

    def counting_send_each(messages: list[messaging.Message], **kwargs: object) -> object:
        calls.append(len(messages))
        return real_send_each(messages, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(messaging, "send_each", counting_send_each)
    results = fcm_channel.send_batch([agent_push(n) for n in range(501)])
    assert calls == [500, 1]
    assert all(r.status == "sent" for r in results)
    state = fake_fcm.snapshot()
    assert state.send_requests == 501
    assert len(set(state.deliveries)) == 501


@pytest.mark.parametrize(
    ("kind", "retry_after", "expected"),
    [
        ("unregistered", None, SendResult("dead", dead_tokens=("tok-1",))),
        ("quota", "17", SendResult("retry", retry_after=17.0)),
        ("unavailable", None, SendResult("retry")),
        ("unavailable", "5", SendResult("retry", retry_after=5.0)),
        ("internal", None, SendResult("retry")),
        ("invalid", None, SendResult("dead")),
    ],
)
def test_fcm_errors_map_to_actions(
    fake_fcm: FakeFcm,
    fcm_channel: FcmChannel,
    kind: str,
    retry_after: str | None,
    expected: SendResult,
) -> None:
    """UNREGISTERED prunes, QUOTA/UNAVAILABLE retry with Retry-After, INVALID_ARGUMENT is dead."""
    fake_fcm.fail_token("tok-1", kind, retry_after)
    [result] = fcm_channel.send_batch([agent_push(1)])
    assert (result.status, result.retry_after, result.dead_tokens) == (
        expected.status,
        expected.retry_after,
        expected.dead_tokens,
    )
    assert result.reason


def test_error_reasons_name_the_sdk_exception(fake_fcm: FakeFcm, fcm_channel: FcmChannel) -> None:
    """Dead letters say what went wrong."""
    fake_fcm.fail_token("tok-1", "invalid")
    fake_fcm.fail_token("tok-2", "unregistered")
    fake_fcm.fail_token("tok-3", "quota", "30")
    results = fcm_channel.send_batch([agent_push(1), agent_push(2), agent_push(3)])
    assert "InvalidArgumentError" in (results[0].reason or "")
    assert "unregistered" in (results[1].reason or "")
    assert "QuotaExceededError" in (results[2].reason or "")


def test_one_live_device_is_enough(fake_fcm: FakeFcm, fcm_channel: FcmChannel) -> None:
    """With a dead and a live token, the message is sent and the dead token reported."""
    fake_fcm.fail_token("old", "unregistered")
    [result] = fcm_channel.send_batch([agent_push(1, tokens=("old", "new"))])
    assert result.status == "sent"
    assert result.dead_tokens == ("old",)


def test_no_device_tokens_is_dead(fcm_channel: FcmChannel) -> None:
    """An agent with no registered device cannot get a push."""
    [result] = fcm_channel.send_batch([agent_push(1, tokens=())])
    assert result.status == "dead"
    assert result.reason == "recipient has no device tokens"


def test_a_401_makes_the_sdk_fetch_a_new_token(fake_fcm: FakeFcm, fcm_channel: FcmChannel) -> None:
    """After the stand-in revokes tokens, the SDK hits the token endpoint again and succeeds."""
    fcm_channel.send_batch([agent_push(1)])
    before = fake_fcm.snapshot().token_requests
    fake_fcm.revoke_access_tokens()
    [result] = fcm_channel.send_batch([agent_push(2)])
    assert result.status == "sent"
    state = fake_fcm.snapshot()
    assert state.token_requests == before + 1
    assert state.send_requests == 3  # one accepted, one 401, the retry accepted


def test_sdk_retries_are_configurable(fake_fcm: FakeFcm) -> None:
    """With sdk_retries=2 and no backoff, two 503s are absorbed by the SDK itself."""
    channel = make_fcm_channel(fake_fcm, sdk_retries=2)
    try:
        channel.send_batch([agent_push(0)])  # warm the token so only sends are counted
        fake_fcm.fail_next("unavailable", count=2)
        [result] = channel.send_batch([agent_push(1)])
    finally:
        channel.close()
    assert result.status == "sent"
    assert fake_fcm.snapshot().send_requests == 4


def test_sdk_does_not_sleep_on_retry_after(fake_fcm: FakeFcm) -> None:
    """A 429 with Retry-After reaches the outbox at once instead of blocking the worker."""
    channel = make_fcm_channel(fake_fcm, sdk_retries=4)
    try:
        fake_fcm.fail_next("quota", retry_after="3600")
        [result] = channel.send_batch([agent_push(1)])
    finally:
        channel.close()
    assert (result.status, result.retry_after) == ("retry", 3600.0)


def test_channels_get_their_own_firebase_apps(fake_fcm: FakeFcm) -> None:
    """Two channels in one process do not clash over the default app."""
    first, second = make_fcm_channel(fake_fcm), make_fcm_channel(fake_fcm)
    try:
        assert first.app.name != second.app.name
        assert first.send_batch([agent_push(1)])[0].status == "sent"
        assert second.send_batch([agent_push(2)])[0].status == "sent"
    finally:
        first.close()
        second.close()


def test_fcm_url_override_leaves_the_class_attribute_alone(fake_fcm: FakeFcm) -> None:
    """The patched FCM_URL is restored once the channel's service exists."""
    original = messaging._MessagingService.FCM_URL
    make_fcm_channel(fake_fcm).close()
    assert original == messaging._MessagingService.FCM_URL


def test_fcm_url_must_name_the_project() -> None:
    """An override without {0} is rejected before any app is made."""
    with pytest.raises(ValueError, match="fcm_url"):
        FcmConfig(credentials_file="x.json", fcm_url="http://127.0.0.1:1/send")


def test_retry_after_accepts_an_http_date() -> None:
    """Retry-After as an HTTP date becomes seconds from now (never negative)."""

    class Response:
        headers = {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}

    error = messaging.QuotaExceededError("quota", http_response=Response())
    assert retry_after_seconds(error) == 0.0
