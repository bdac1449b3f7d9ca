"""Every kind of message goes out the way Meta expects it; content that breaks one of Meta's limits
is refused when it is queued: the reply ends failed with the reason, nothing is sent."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from tasklane_sender.kinds import request_body
from tasklane_sender.repository import OutboundMessage

BUTTONS = {
    "type": "button",
    "header": {"type": "text", "text": "Buy milk"},
    "body": {"text": "Mark 'buy milk' as done?"},
    "footer": {"text": "Tasklane"},
    "action": {
        "buttons": [
            {"type": "reply", "reply": {"id": "done:1", "title": "Done"}},
            {"type": "reply", "reply": {"id": "later:1", "title": "Later"}},
            {"type": "reply", "reply": {"id": "x" * 256, "title": "t" * 20}},
        ]
    },
}
LIST = {
    "type": "list",
    "header": {"type": "text", "text": "Your tasks"},
    "body": {"text": "b" * 4096},
    "footer": {"text": "f" * 60},
    "action": {
        "button": "b" * 20,
        "sections": [
            {
                "title": "s" * 24,
                "rows": [
                    {"id": f"task:{i}", "title": f"Task {i}", "description": "d" * 72} for i in range(6)
                ],
            },
            {
                "title": "Done",
                "rows": [
                    {"id": "r" * 200, "title": "t" * 24},
                    *[{"id": f"o{i}", "title": "x"} for i in range(3)],
                ],
            },
        ],
    },
}
TEMPLATE_POSITIONAL = {
    "name": "task_reminder",
    "language": {"code": "en_US"},
    "components": [
        {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://example.com/a.png"}}]},
        {
            "type": "body",
            "parameters": [{"type": "text", "text": "buy milk"}, {"type": "text", "text": "today"}],
        },
        {
            "type": "button",
            "sub_type": "quick_reply",
            "index": "0",
            "parameters": [{"type": "payload", "payload": "done:1"}],
        },
    ],
}
TEMPLATE_NAMED = {
    "name": "task_reminder_named",
    "language": {"code": "pt_BR"},
    "components": [
        {
            "type": "body",
            "parameters": [
                {"type": "text", "parameter_name": "task", "text": "comprar leite"},
                {"type": "text", "parameter_name": "due", "text": "hoje"},
            ],
        }
    ],
}

ACCEPTED: list[tuple[str, dict[str, Any]]] = [
    ("text", {"body": "Task added: buy milk 🥛 https://example.com", "preview_url": True}),
    ("text", {"body": "t" * 4096}),
    ("interactive", BUTTONS),
    ("interactive", LIST),
    ("template", TEMPLATE_POSITIONAL),
    ("template", TEMPLATE_NAMED),
    ("reaction", {"message_id": "wamid.USER1", "emoji": "👍"}),
    ("reaction", {"message_id": "wamid.USER1", "emoji": ""}),  # takes the reaction back
    ("image", {"id": "1234567890", "caption": "c" * 1024}),
    ("document", {"link": "https://example.com/list.pdf", "filename": "list.pdf", "caption": "Your list"}),
    ("audio", {"id": "998877"}),
    ("video", {"link": "https://example.com/v.mp4"}),
    ("sticker", {"id": "556677"}),
    ("location", {"latitude": -23.55, "longitude": -46.63, "name": "Office"}),
]


async def test_every_kind_is_sent_as_meta_expects(harness: Any) -> None:
    replies = [
        (harness.reply(harness.phone(), kind=kind, content=content), kind, content)
        for kind, content in ACCEPTED
    ]
    async with harness.start() as app:
        await harness.publish(app, *(r for r, _, _ in replies))
        for reply, _, _ in replies:
            await harness.reaches(app, reply.payload["reply_id"], "sent")

    for reply, kind, content in replies:
        to = reply.payload["to"]
        [sent] = harness.sim.sent_messages(to)
        assert sent["body"] == {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": f"+{to}",
            "type": kind,
            kind: content,
            "biz_opaque_callback_data": reply.payload["reply_id"],
        }


def test_contacts_go_as_the_list_meta_expects() -> None:
    cards = [
        {
            "name": {"formatted_name": "Ana Souza", "first_name": "Ana"},
            "phones": [{"phone": "+5511999990000"}],
        }
    ]
    message = OutboundMessage(
        reply_id="r-1",
        correlation_id="c",
        causation_id=None,
        user_id="u",
        phone_number_id="106540352242922",
        to="5511999990000",
        kind="contacts",
        content={"contacts": cards},
        status="sending",
        wamid=None,
        attempts=1,
        last_error=None,
        error_code=None,
        created_at=datetime.now(UTC),
        sent_at=None,
    )
    body = request_body(message, now=datetime.now(UTC))
    assert body["type"] == "contacts"
    assert body["contacts"] == cards


def _buttons(*buttons: tuple[str, str], body: str = "Pick one", **extra: Any) -> dict[str, Any]:
    return {
        "type": "button",
        "body": {"text": body},
        "action": {"buttons": [{"type": "reply", "reply": {"id": i, "title": t}} for i, t in buttons]},
        **extra,
    }


def _list(sections: list[dict[str, Any]], *, button: str = "Tasks", body: str = "Pick one") -> dict[str, Any]:
    return {"type": "list", "body": {"text": body}, "action": {"button": button, "sections": sections}}


def _rows(n: int, start: int = 0, **extra: Any) -> list[dict[str, Any]]:
    return [{"id": f"row:{i}", "title": f"Row {i}", **extra} for i in range(start, start + n)]


REFUSED: list[tuple[str, dict[str, Any], str]] = [
    ("text", {"body": "x" * 4097}, "4097 characters long, at most 4096"),
    ("text", {"body": ""}, "body must not be empty"),
    ("text", {"body": "hi", "preview_url": "yes"}, "preview_url must be true or false"),
    ("interactive", _buttons(("a", "A"), ("b", "B"), ("c", "C"), ("d", "D")), "1 to 3 buttons, not 4"),
    ("interactive", _buttons(("a", "t" * 21)), "button 1 title is 21 characters long, at most 20"),
    ("interactive", _buttons(("a", "Same"), ("b", "Same")), "button titles must be unique"),
    ("interactive", _buttons(("i" * 257, "A")), "button 1 id is 257 characters long, at most 256"),
    ("interactive", _buttons(("a", "A"), body="b" * 1025), "body.text is 1025 characters long, at most 1024"),
    ("interactive", _buttons(("a", "A"), footer={"text": "f" * 61}), "footer.text is 61 characters long"),
    ("interactive", _buttons(("a", "A"), header={"type": "text", "text": "h" * 61}), "header.text is 61"),
    (
        "interactive",
        _list([{"title": f"S{i}", "rows": _rows(1, i)} for i in range(11)]),
        "1 to 10 sections, not 11",
    ),
    (
        "interactive",
        _list([{"title": "A", "rows": _rows(6)}, {"title": "B", "rows": _rows(5, 6)}]),
        "at most 10 rows in all, not 11",
    ),
    ("interactive", _list([{"rows": _rows(1)}], button="b" * 21), "action.button is 21 characters long"),
    ("interactive", _list([{"title": "s" * 25, "rows": _rows(1)}]), "section 1 title is 25 characters long"),
    ("interactive", _list([{"rows": [{"id": "a", "title": "t" * 25}]}]), "row 1 title is 25 characters long"),
    ("interactive", _list([{"rows": _rows(1, description="d" * 73)}]), "description is 73 characters long"),
    ("interactive", _list([{"rows": [{"id": "i" * 201, "title": "A"}]}]), "row 1 id is 201 characters long"),
    ("interactive", _list([{"rows": _rows(1)}], body="b" * 4097), "body.text is 4097 characters long"),
    ("template", {"language": {"code": "en_US"}}, "template name is required"),
    ("template", {"name": "reminder", "language": {}}, "language.code is required"),
    (
        "template",
        {
            "name": "reminder",
            "language": {"code": "en_US"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "a", "parameter_name": "task"},
                        {"type": "text", "text": "b"},
                    ],
                }
            ],
        },
        "either all named or all positional",
    ),
    (
        "template",
        {
            "name": "reminder",
            "language": {"code": "en_US"},
            "components": [
                {"type": "body", "parameters": [{"type": "text", "text": "a", "parameter_name": "Task Name"}]}
            ],
        },
        "parameter_name must be lowercase",
    ),
    ("reaction", {"emoji": "👍"}, "reaction message_id is required"),
    ("image", {"caption": "no media"}, "image needs a media id or a link"),
    ("audio", {"id": "1", "caption": "voice"}, "audio messages have no caption"),
    ("carrier_pigeon", {"body": "coo"}, "unsupported message kind 'carrier_pigeon'"),
]


async def test_content_breaking_a_limit_fails_with_the_reason_and_is_never_sent(harness: Any) -> None:
    replies = [
        (harness.reply(harness.phone(), kind=kind, content=content), reason)
        for kind, content, reason in REFUSED
    ]
    async with harness.start() as app:
        await harness.publish(app, *(r for r, _ in replies))
        tap = await harness.events()
        results = await asyncio.gather(
            *(harness.reaches(app, r.payload["reply_id"], "failed") for r, _ in replies)
        )
        events = await asyncio.gather(
            *(tap.wait("message.failed", r.payload["reply_id"]) for r, _ in replies)
        )

    for (_, reason), message, event in zip(replies, results, events, strict=True):
        assert reason in (message.last_error or ""), (reason, message.last_error)
        assert reason in event.payload["reason"]
        assert event.payload["error_code"] is None
        assert message.attempts == 0
    assert harness.sim.requests() == []


async def test_a_refused_reply_redelivered_is_reported_once(harness: Any) -> None:
    reply = harness.reply(harness.phone(), kind="interactive", content={"type": "button"})
    async with harness.start() as app:
        await harness.publish(app, reply)
        await harness.publish(app, reply)
        await harness.reaches(app, reply.payload["reply_id"], "failed")
        tap = await harness.events()
        await tap.wait("message.failed", reply.payload["reply_id"])
        replies = harness.runtime(app).consumers[0]
        await harness.settled(lambda: replies.handled + replies.duplicates >= 2)
        assert len(await tap.matching("message.failed", reply.payload["reply_id"])) == 1
