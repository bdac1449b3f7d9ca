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


def test_nested_values_tracebacks_and_urls_are_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(LoggingSettings(level="INFO", format="json"))
    log = get_logger("test")
    try:
        raise ValueError("bad user 5511999990000")
    except ValueError:
        log.exception(
            "failed",
            wa_id=5511999990000,
            payload={"from": "5511999990000", "contacts": [{"wa_id": "5511999990000"}]},
            broker="amqp://tasklane:s3cr3t-pass@rabbit:5672/",
            api_key="tl_abc",
        )
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert "5511999990000" not in line
    assert "s3cr3t-pass" not in line
    assert "tl_abc" not in line
    record = json.loads(line)
    assert record["payload"]["contacts"][0]["wa_id"] == "551****00"
    assert record["broker"] == "amqp://tasklane:***@rabbit:5672/"


def test_library_logs_share_the_format_and_the_redaction(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    configure_logging(LoggingSettings(level="INFO", format="json"))
    logging.getLogger("aiormq.connection").warning("lost connection to user 5511999990000")
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["logger"] == "aiormq.connection"
    assert "5511999990000" not in line
