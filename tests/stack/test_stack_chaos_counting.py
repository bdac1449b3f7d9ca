"""``make chaos`` counts from outside: who got no reply or two, which tasks are missing or doubled,
what the gateway refused, and the table it publishes. Checked on small made-up runs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from tasklane_stack.chaos import counting, load, report
from tasklane_stack.chaos.faults import FAULTS, select
from tasklane_stack.chaos.load import Message, PostLog, RetryPolicy
from tasklane_stack.chaos.observe import Sample
from tasklane_stack.chaos.soak import growth

TOKEN = "k0042"


def reply(to: str, at: str = "2026-12-03T00:00:10+00:00", **extra: Any) -> dict[str, Any]:
    return {"to": to, "type": "text", "received_at": at, **extra}


def test_a_run_with_a_lost_and_a_doubled_reply_and_task_is_counted_as_such() -> None:
    users = ["u0", "u1", "u2", "u3"]
    sent = [
        reply("u0"),
        reply("u1"),
        reply("u1", at="2026-12-03T00:00:30+00:00"),  # the same answer sent twice
        reply("u3"),
        {"to": "u3", "type": "read", "received_at": "2026-12-03T00:00:40+00:00"},  # a receipt
        reply("someone-else", at="2026-12-03T00:05:00+00:00"),  # another run's user
        reply("u2", failed_with=131026),  # accepted, then failed: never reached u2
    ]
    titles = [
        f"check chaos {TOKEN} item 0",
        f"check chaos {TOKEN} item 1",
        f"check chaos {TOKEN} item 1",
        f"check chaos {TOKEN} item 3",
        "check chaos k9999 item 2",  # another run's task
    ]
    deliveries: list[dict[str, Any]] = [
        {"kind": "status", "wamid": "w1", "status": "sent", "status_code": None},
        {"kind": "status", "wamid": "w1", "status": "sent", "status_code": 200},
        {"kind": "status", "wamid": "w1", "status": "read", "status_code": 503},
        {"kind": "message", "wamid": "w9", "status": None, "status_code": 503},
    ]
    fault_end = 1796256000.0  # 2026-12-03T00:00:00Z

    counts = counting.count(
        users=users,
        sent=sent,
        titles=titles,
        token=TOKEN,
        fault_end=fault_end,
        webhook_statuses=Counter({200: 4, 0: 3, 503: 1}),
        deliveries=deliveries,
        last_post=fault_end + 20,
    )

    assert counts.replied_once == 2
    assert counts.lost == ["u2"]
    assert counts.duplicated == {"u1": 2}
    assert counts.tasks_lost == [2]
    assert counts.tasks_duplicated == {1: 2}
    assert counts.webhook_non_200 == {0: 3, 503: 1}
    assert (counts.status_non_200, counts.statuses_unaccepted) == (2, 1)  # read never accepted
    assert counts.recovery_s == 30.0  # the last reply to one of ours, u1's second
    assert counts.tail_s == 10.0  # 10 s after the last message was posted
    assert not counts.clean
    assert report.fault_row("sender-kill", counts) == (
        "| sender-kill | 4 | 2 | 1 | 1 | 1/1 | 4 (0: 3, 503: 1) | 2 (1) | 30.0 | 10.0 |"
    )


def test_a_clean_run_is_clean_and_answered_before_the_fault_ended_recovers_in_zero() -> None:
    counts = counting.count(
        users=["a", "b"],
        sent=[reply("a"), reply("b")],
        titles=[f"x {TOKEN} item 0", f"x {TOKEN} item 1"],
        token=TOKEN,
        fault_end=1796256000.0 + 60,
        webhook_statuses=Counter({200: 2}),
        deliveries=[],
    )
    assert counts.clean
    assert counts.recovery_s == 0.0
    assert report.non_200(counts.webhook_non_200) == "0"


def test_a_task_title_names_its_message_only_with_the_run_token() -> None:
    assert counting.task_index(f"check chaos {TOKEN} item 17", TOKEN) == 17
    assert counting.task_index(f"check chaos {TOKEN} item 17 by Friday", TOKEN) == 17
    assert counting.task_index("check chaos k00421 item 17", TOKEN) is None
    assert counting.task_index(f"check chaos {TOKEN} items", TOKEN) is None


def test_the_table_in_the_doc_is_replaced_and_the_prose_around_it_kept(tmp_path: Path) -> None:
    doc = tmp_path / "reliability.md"
    doc.write_text(
        "# Reliability\n\nWhy.\n\n<!-- chaos:faults -->\nold table\n<!-- /chaos:faults -->\n\nAfter.\n"
    )

    report.write_section(doc, "chaos:faults", "new table\n")
    report.write_section(doc, "chaos:soak", "soak table")

    assert doc.read_text() == (
        "# Reliability\n\nWhy.\n\n<!-- chaos:faults -->\nnew table\n<!-- /chaos:faults -->\n\nAfter.\n"
        "\n<!-- chaos:soak -->\nsoak table\n<!-- /chaos:soak -->\n"
    )


def test_faults_are_chosen_by_name_in_the_suites_order() -> None:
    assert [f.name for f in select("pg-restart, gateway-kill")] == ["gateway-kill", "pg-restart"]
    assert len(select("")) == len(FAULTS)
    assert {f.name for f in FAULTS if f.shared} == {"broker-restart", "pg-restart"}
    with pytest.raises(ValueError, match="disk-full"):
        select("gateway-kill,disk-full")


def test_every_message_comes_from_its_own_user_and_asks_for_a_task_with_the_token() -> None:
    messages = load.build_messages(TOKEN, 42, 3)
    assert [m.wa_id for m in messages] == ["19980042000000", "19980042000001", "19980042000002"]
    assert all(f"chaos {TOKEN} item {m.index}".encode() in m.body for m in messages)


async def test_a_webhook_is_delivered_again_after_each_refusal_as_meta_does() -> None:
    answers = [503, 500, 200]
    seen: list[bytes] = []
    gateway = FastAPI()

    @gateway.post("/hook")
    async def hook(request: Request) -> Response:
        seen.append(await request.body())
        assert request.headers["x-hub-signature-256"].startswith("sha256=")
        return Response(status_code=answers.pop(0))

    message = Message(0, "19980042000000", b'{"object": "whatsapp_business_account"}')
    log = PostLog()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://gw") as client:
        ok = await load.deliver(client, "/hook", "secret", message, RetryPolicy(base_s=0.01), log)

    assert ok
    assert seen == [message.body] * 3
    assert log.answers == Counter({503: 1, 500: 1, 200: 1})
    assert log.given_up == []


async def test_a_webhook_refused_past_the_horizon_is_given_up() -> None:
    gateway = FastAPI()

    @gateway.post("/hook")
    async def hook() -> Response:
        return Response(status_code=503)

    message = Message(0, "19980042000000", b"{}")
    log = PostLog()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://gw") as client:
        ok = await load.deliver(
            client, "/hook", "secret", message, RetryPolicy(base_s=0.01, max_s=0.02, horizon_s=0.1), log
        )

    assert not ok
    assert log.given_up == ["19980042000000"]
    assert log.answers[503] >= 2


def test_soak_growth_is_per_thousand_messages_after_the_warm_up() -> None:
    samples = [
        Sample(0.0, 0, 50_000, 20, 2),
        Sample(5.0, 100, 60_000, 24, 4),  # end of the warm-up
        Sample(10.0, 2100, 62_000, 24, 4),  # end of the load
        Sample(20.0, 2100, 61_000, 22, 3),  # idle
    ]
    g = growth("gateway", samples, warm_at=1, loaded_at=2)
    assert g.per_k_kb == 1000.0  # 2,000 KB over 2,000 messages
    assert (g.rss_start_kb, g.rss_loaded_kb, g.rss_idle_kb) == (60_000, 62_000, 61_000)
    assert g.fds == (24, 24, 22)
    assert g.db == (4, 4, 3)
