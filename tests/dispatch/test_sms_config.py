"""DAIBAN_SMS_TEMPLATE_CODES reaches the Aliyun channel; a bad entry stops the start."""

from __future__ import annotations

import logging

import pytest

from dispatch.app import create_app
from dispatch.outbox_sender import build_channels

BASE = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
ALIYUN = {
    "SMS_CHANNEL": "aliyun",
    "SMS_ACCESS_KEY_ID": "id",
    "SMS_ACCESS_KEY_SECRET": "secret",
    "SMS_SIGN_NAME": "揭阳代办",
}


def test_configured_codes_reach_the_channel_and_the_rest_are_named(caplog) -> None:
    """The channel sends the configured code; the start warns of the placeholders left."""
    app = create_app(BASE | ALIYUN | {"SMS_TEMPLATE_CODES": "case_refused=SMS_470001234"})
    with caplog.at_level(logging.WARNING, logger="dispatch.outbox_sender"):
        channels = build_channels(app)
    sms = channels["sms"]
    assert sms._config.template_codes == {"case_refused": "SMS_470001234"}  # type: ignore[attr-defined]
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert "DAIBAN_SMS_TEMPLATE_CODES" in warned and "case_withdrawn" in warned
    assert "case_refused" not in warned


def test_a_bad_entry_stops_the_start() -> None:
    """An unknown template key fails create_app with the entry named."""
    with pytest.raises(ValueError, match="no template 'case_refuse'"):
        create_app(BASE | {"SMS_TEMPLATE_CODES": "case_refuse=SMS_1"})
