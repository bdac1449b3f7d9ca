"""Operators read these logs: phone numbers masked, secrets never shown, trace ids present."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider

from tasklane_common.logging import configure_logging, get_logger, mask_phone, scrub_text
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
    configure_logging(LoggingSettings(level="INFO", format="json"))
    logging.getLogger("aiormq.connection").warning("lost connection to user 5511999990000")
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["logger"] == "aiormq.connection"
    assert "5511999990000" not in line


# A Meta-style access token, as an admin might paste it: in smart quotes, with a line break.
PASTED = "\u201cEAAGm0PX4ZCpsBAKZBqAlongOpaqueTail9x\r\nsecondhalf7Q\u201d"
SECRET_PARTS = ("EAAGm0PX4ZCpsBAKZBqAlongOpaqueTail9x", "secondhalf7Q")


def _lines(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().err


def _assert_no_secret(text: str) -> None:
    for part in SECRET_PARTS:
        assert part not in text, text
        assert part[:12] not in text, text


async def _send_with(token: str) -> None:
    """What the sender does: a real HTTP request to a real socket, with the token as a header."""

    async def server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    listener = await asyncio.start_server(server, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        async with httpx.AsyncClient() as client:
            await client.post(
                f"http://127.0.0.1:{port}/v21.0/1/messages", headers={"authorization": f"Bearer {token}"}
            )
    finally:
        listener.close()


def test_a_token_in_a_real_exceptions_text_and_traceback_is_masked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(LoggingSettings(level="INFO", format="json"))
    log = get_logger("test")
    token = "EAAGm0PX4ZCpsBAKZBqAlongOpaqueTail9x\r\nsecondhalf7Q"
    with pytest.raises(httpx.LocalProtocolError) as raised:
        asyncio.run(_send_with(token))
    # The library's own message carries the header: that is what has to be masked.
    assert "EAAGm0PX4ZCpsBAKZBqAlongOpaqueTail9x" in str(raised.value)
    try:
        raise raised.value
    except httpx.LocalProtocolError as exc:
        log.exception("send_failed", error=str(exc), cause=exc, attempt=1)
    err = _lines(capsys)
    record = json.loads(err.strip().splitlines()[-1])
    assert "LocalProtocolError" in record["exception"]
    assert record["attempt"] == 1
    _assert_no_secret(err)


def test_credentials_in_free_text_are_masked_in_every_field(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(LoggingSettings(level="INFO", format="json"))
    log = get_logger("test")
    url = "https://graph.facebook.com/v21.0/1?access_token=EAAGm0PX4ZCpsBAKZBqAlongOpaqueTail9x&fields=id"
    response = httpx.Response(400, request=httpx.Request("GET", url))
    try:
        response.raise_for_status()
    except httpx.HTTPStatusError as exc:
        log.warning(
            "graph_call_failed",
            error=exc,
            detail=f"Authorization: Bearer {PASTED}",
            body='{"verify_token": "secondhalf7Q", "app_secret": "EAAGm0PX4ZCpsBAKZBqAlongOpaqueTail9x"}',
            note=f"retrying with bearer {PASTED} later",
            reason="Graph API answered 400 for phone number 106540352242922",
        )
    err = _lines(capsys)
    record = json.loads(err.strip().splitlines()[-1])
    _assert_no_secret(err)
    # Only the credential goes: what the line is about stays readable.
    assert "access_token=***&fields=id" in record["error"]
    assert record["detail"] == "Authorization: ***"
    assert record["body"] == '{"verify_token": "***", "app_secret": "***"}'
    assert record["note"].startswith("retrying with bearer ***")
    assert record["reason"].startswith("Graph API answered 400 for phone number")


def test_library_tracebacks_are_masked_too(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(LoggingSettings(level="INFO", format="console"))
    try:
        raise RuntimeError(f"request failed: headers={{'authorization': 'Bearer {PASTED}'}}")
    except RuntimeError:
        # How uvicorn reports an exception in an ASGI application.
        logging.getLogger("uvicorn.error").error("Exception in ASGI application", exc_info=True)
    err = _lines(capsys)
    assert "Exception in ASGI application" in err
    assert "RuntimeError" in err
    _assert_no_secret(err)


def test_masking_stays_fast_on_long_text() -> None:
    started = time.perf_counter()
    for text in ("token " + "a" * 200_000, "x://" + "a" * 200_000, "password=" * 20_000):
        scrub_text(text)
    assert time.perf_counter() - started < 2.0
