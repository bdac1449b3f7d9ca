"""Routing and envelope rules every service relies on."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tasklane_common.errors import PermanentError
from tasklane_common.messaging import Envelope, deterministic_id, new_envelope
from tasklane_common.messaging.contracts.agent import TaskCreated
from tasklane_common.messaging.contracts.gateway import MessageReceived
from tasklane_common.messaging.topology import topic_matches


@pytest.mark.parametrize(
    ("pattern", "key", "expected"),
    [
        ("message.received", "message.received", True),
        ("message.*", "message.received", True),
        ("message.*", "message.received.v2", False),
        ("#", "anything.at.all", True),
        ("task.#", "task", True),
        ("task.#", "task.created", True),
        ("*.created", "task.created", True),
        ("*.created", "created", False),
        ("reply.requested", "reply.requestedx", False),
    ],
)
def test_topic_matching_follows_amqp_rules(pattern: str, key: str, expected: bool) -> None:
    assert topic_matches(pattern, key) is expected


def test_deterministic_ids_identify_the_same_fact() -> None:
    assert deterministic_id("message.received", "wamid.A") == deterministic_id("message.received", "wamid.A")
    assert deterministic_id("message.received", "wamid.A") != deterministic_id("message.received", "wamid.B")
    # Parts are separated: ("ab", "c") and ("a", "bc") are different facts.
    assert deterministic_id("ab", "c") != deterministic_id("a", "bc")


def test_envelope_round_trip_and_contract() -> None:
    event = TaskCreated(task_id="t1", user_id="u1", title="review the reports")
    env = new_envelope(event, producer="agent", correlation_id="turn-1")
    back = Envelope.from_bytes(env.to_bytes())
    assert back == env
    assert back.type == "task.created"
    assert back.open(TaskCreated).title == "review the reports"


def test_a_newer_producer_adding_fields_does_not_break_consumers() -> None:
    env = new_envelope(TaskCreated(task_id="t", user_id="u", title="x"), producer="agent")
    payload = dict(env.payload, colour="blue")
    newer = env.model_copy(update={"payload": payload})
    assert newer.open(TaskCreated).title == "x"


def test_garbage_and_invalid_payloads_are_permanent_errors() -> None:
    with pytest.raises(PermanentError):
        Envelope.from_bytes(b"not json")
    env = new_envelope(TaskCreated(task_id="t", user_id="u", title="x"), producer="agent")
    broken = env.model_copy(update={"payload": {"title": 3}})
    with pytest.raises(PermanentError):
        broken.open(TaskCreated)


def test_message_received_keeps_timestamps_timezone_aware() -> None:
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    event = MessageReceived(
        wamid="w", phone_number_id="p", user_id="u", message_type="text", sent_at=now, received_at=now
    )
    env = new_envelope(event, producer="gateway", occurred_at=now)
    assert env.open(MessageReceived).sent_at == now
