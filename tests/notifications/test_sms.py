"""AliyunSmsChannel signs SendSms per Aliyun's POP rules and maps its answers."""

from __future__ import annotations

import json
import socket

import pytest

from notifications.channels import aliyun_pop
from notifications.channels.sms import AliyunSmsChannel, AliyunSmsConfig, map_response
from tests.notifications.builders import agent_push, villager_sms
from tests.notifications.fake_sms import (
    TEST_ACCESS_KEY_ID,
    TEST_ACCESS_KEY_SECRET,
    TEST_SIGN_NAME,
    FakeAliyunSms,
    reference_signature,
)

# The worked example of Aliyun's SMS signature documentation.
DOC_SMS_PARAMS = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}
# The worked example of Aliyun's RPC signature documentation (ECS DescribeRegions).
DOC_RPC_PARAMS = {
    "Format": "XML",
    "AccessKeyId": "testid",
    "Action": "DescribeRegions",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    "SignatureVersion": "1.0",
    "Version": "2014-05-26",
    "Timestamp": "2016-02-23T12:46:24Z",
}


@pytest.mark.parametrize(
    ("params", "secret", "expected"),
    [
        (DOC_SMS_PARAMS, "testSecret", "zJDF+Lrzhj/ThnlvIToysFRq6t4="),
        (DOC_RPC_PARAMS, "testsecret", "OLeaidS1JvxuMvnyHOwuJ+uX5qY="),
    ],
)
def test_signature_matches_aliyun_documented_examples(
    params: dict[str, str], secret: str, expected: str
) -> None:
    """Both the channel's signer and the stand-in's verifier reproduce Aliyun's examples."""
    assert aliyun_pop.sign("GET", params, secret) == expected
    assert reference_signature("GET", params, secret) == expected


def test_percent_encoding_follows_pop_rules() -> None:
    """Space is %20, '*' is %2A, '~' stays, UTF-8 bytes are encoded."""
    assert aliyun_pop.percent_encode("a b*~/") == "a%20b%2A~%2F"
    assert aliyun_pop.percent_encode("派") == "%E6%B4%BE"


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_sends_a_signed_sms_and_keeps_the_bizid(fake_sms: FakeAliyunSms, method: str) -> None:
    """The stand-in verifies the signature and params; BizId becomes the provider id."""
    channel = AliyunSmsChannel(
        AliyunSmsConfig(
            TEST_ACCESS_KEY_ID,
            TEST_ACCESS_KEY_SECRET,
            TEST_SIGN_NAME,
            fake_sms.endpoint,
            method=method,
        )
    )
    message = villager_sms(1, phone="13912345678")
    [result] = channel.send_batch([message])
    channel.close()
    assert result.status == "sent", result.reason
    assert result.provider_message_id and result.provider_message_id.endswith("^0")
    [params] = fake_sms.snapshot().accepted
    assert params["OutId"] == message.id
    assert params["TemplateCode"] == "SMS_468120011"
    assert json.loads(params["TemplateParam"]) == {
        "name": "林阿婆",
        "service": "社保认证",
        "date": "3月11日",
        "time_window": "上午",
    }
    assert params["SignName"] == TEST_SIGN_NAME


def test_a_wrong_secret_is_caught_by_the_signature_check(fake_sms: FakeAliyunSms) -> None:
    """A bad signature is dead (SignatureDoesNotMatch), not retried forever."""
    channel = AliyunSmsChannel(
        AliyunSmsConfig(TEST_ACCESS_KEY_ID, "wrong", TEST_SIGN_NAME, fake_sms.endpoint)
    )
    [result] = channel.send_batch([villager_sms(1)])
    channel.close()
    assert result.status == "dead"
    assert "SignatureDoesNotMatch" in (result.reason or "")


@pytest.mark.parametrize(
    ("code", "status", "retry_after"),
    [
        ("isv.BUSINESS_LIMIT_CONTROL", "retry", 60.0),
        ("Throttling.User", "retry", None),
        ("isp.SYSTEM_ERROR", "retry", None),
        ("isv.MOBILE_NUMBER_ILLEGAL", "dead", None),
        ("isv.TEMPLATE_MISSING_PARAMETERS", "dead", None),
        ("isv.SMS_SIGNATURE_ILLEGAL", "dead", None),
    ],
)
def test_aliyun_codes_map_to_actions(
    fake_sms: FakeAliyunSms,
    sms_channel: AliyunSmsChannel,
    code: str,
    status: str,
    retry_after: float | None,
) -> None:
    """Flow control and throttling retry; bad numbers and templates are dead with the code."""
    fake_sms.fail_next(code)
    [result] = sms_channel.send_batch([villager_sms(1)])
    assert (result.status, result.retry_after) == (status, retry_after)
    assert code in (result.reason or "")


def test_stand_in_rejects_an_illegal_number_by_itself(sms_channel: AliyunSmsChannel) -> None:
    """A landline number is refused with isv.MOBILE_NUMBER_ILLEGAL."""
    [result] = sms_channel.send_batch([villager_sms(1, phone="0663-8221234")])
    assert result.status == "dead"
    assert "isv.MOBILE_NUMBER_ILLEGAL" in (result.reason or "")


@pytest.mark.parametrize("status", [500, 502, 503])
def test_http_5xx_is_retried(
    fake_sms: FakeAliyunSms, sms_channel: AliyunSmsChannel, status: int
) -> None:
    """A gateway error is transient."""
    fake_sms.fail_next(status)
    [result] = sms_channel.send_batch([villager_sms(1)])
    assert result.status == "retry"
    assert str(status) in (result.reason or "")


def test_an_unreachable_gateway_is_retried() -> None:
    """Connection refused (and timeouts) are retried."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    channel = AliyunSmsChannel(
        AliyunSmsConfig("id", "secret", "sign", f"http://127.0.0.1:{port}/", timeout=1)
    )
    [result] = channel.send_batch([villager_sms(1)])
    channel.close()
    assert result.status == "retry"


def test_a_recipient_without_a_phone_is_dead(sms_channel: AliyunSmsChannel) -> None:
    """No number, no SMS."""
    [result] = sms_channel.send_batch([agent_push(1, phone=None)])
    assert result.status == "dead"
    assert "no phone" in (result.reason or "")


def test_a_batch_is_sent_concurrently_and_in_order(
    fake_sms: FakeAliyunSms, sms_channel: AliyunSmsChannel
) -> None:
    """Results come back in message order, one SMS per message."""
    messages = [villager_sms(n) for n in range(40)]
    results = sms_channel.send_batch(messages)
    assert [r.status for r in results] == ["sent"] * 40
    assert set(fake_sms.snapshot().deliveries) == {m.id for m in messages}


def test_a_body_that_is_not_json_is_retried() -> None:
    """A proxy's HTML error page is not a verdict on the message."""
    assert map_response(200, "<html>").status == "retry"
