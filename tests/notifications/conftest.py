"""Fixtures for the notifications tests: stand-ins on 127.0.0.1, channels, a clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from notifications.channels.fcm import FcmChannel, FcmConfig
from notifications.channels.sms import AliyunSmsChannel, AliyunSmsConfig
from tests.notifications.fake_fcm import FakeFcm, generate_key, started_fake_fcm
from tests.notifications.fake_sms import (
    TEST_ACCESS_KEY_ID,
    TEST_ACCESS_KEY_SECRET,
    TEST_SIGN_NAME,
    FakeAliyunSms,
)


class FakeClock:
    """A clock tests move by hand; starts on a Monday at 10:00 China time."""

    def __init__(self, start: datetime | None = None) -> None:
        self.at = start or datetime(2025, 3, 10, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return generate_key()


@pytest.fixture
def fake_fcm(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> Iterator[FakeFcm]:
    fcm, _ = started_fake_fcm(tmp_path / "service-account.json", private_key=rsa_key)
    try:
        yield fcm
    finally:
        fcm.stop()


def make_fcm_channel(fcm: FakeFcm, **overrides: object) -> FcmChannel:
    assert fcm.account is not None
    options: dict[str, object] = {"sdk_retries": 0, "sdk_backoff_factor": 0.0, "http_timeout": 10}
    options.update(overrides)
    return FcmChannel(
        FcmConfig(credentials_file=str(fcm.account.path), fcm_url=fcm.fcm_url, **options)  # type: ignore[arg-type]
    )


@pytest.fixture
def fcm_channel(fake_fcm: FakeFcm) -> Iterator[FcmChannel]:
    channel = make_fcm_channel(fake_fcm)
    try:
        yield channel
    finally:
        channel.close()


@pytest.fixture
def fake_sms() -> Iterator[FakeAliyunSms]:
    with FakeAliyunSms() as sms:
        yield sms


@pytest.fixture
def sms_channel(fake_sms: FakeAliyunSms) -> Iterator[AliyunSmsChannel]:
    channel = AliyunSmsChannel(
        AliyunSmsConfig(
            access_key_id=TEST_ACCESS_KEY_ID,
            access_key_secret=TEST_ACCESS_KEY_SECRET,
            sign_name=TEST_SIGN_NAME,
            endpoint=fake_sms.endpoint,
            timeout=5,
        )
    )
    try:
        yield channel
    finally:
        channel.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
