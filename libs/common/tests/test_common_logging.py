"""Operators read these logs: phone numbers masked, secrets never shown, trace ids present."""

from __future__ import annotations

import json

import pytest
from opentelemetry.sdk.trace import TracerProvider

from tasklane_common.logging import configure_logging, get_logger, mask_phone
from tasklane_common.settings import LoggingSettings


def test_mask_phone_keeps_prefix_and_last_digits() -> None:
    assert mask_phone("5511999990000") == "551****00"
    assert mask_phone("+16505551234") == "+165****34"


def test_logs_are_json_with_masked_numbers_and_no_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(LoggingSettings(level="INFO", format="json"))
    log = get_logger("test")
    tracer = TracerProvider().get_tracer("t")
    with tracer.start_as_current_span("span"):
        log.info(
            "inbound", wa_id="5511999990000", access_token="EAAG-very-secret", note="user 5511999990000 wrote"
        )
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["event"] == "inbound"
    assert record["wa_id"] == "551****00"
    assert record["access_token"] == "***"
    assert "5511999990000" not in line
    assert "EAAG-very-secret" not in line
    assert len(record["trace_id"]) == 32
