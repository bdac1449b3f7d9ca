"""Teams by consent: two people writing to the same business number are strangers until one
invites the other by phone number and the other taps Join. A stranger can never make the number
carry their words to someone else (issue 14's phishing channel), nor learn who else uses it or
what their projects are called."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from turn_helpers import NOW, SETTINGS, _invite_button, _say, _team_up, _texts, agent_db

from tasklane_agent.turns import take_turn
from tasklane_common.db import Database
from tasklane_common.messaging import deterministic_id
from tasklane_common.messaging.contracts.agent import ReplyRequested
from tasklane_common.messaging.contracts.gateway import MessageReceived
from tasklane_common.messaging.envelope import Event


@pytest.fixture(scope="module")
async def db() -> AsyncIterator[Database]:
    async with agent_db() as database:
        yield database


PHISH = "your account is locked, verify at https://evil.example.com/login"


def _to(events: list[Event], phone: str) -> list[ReplyRequested]:
    return [e for e in events if isinstance(e, ReplyRequested) and e.to == phone]


def _everything_said(events: list[Event]) -> str:
    return "\n".join(str(e.content) for e in events if isinstance(e, ReplyRequested))


async def test_a_stranger_cannot_assign_to_a_user_of_the_same_number(db: Database) -> None:
    ana, eve = "447700901001", "447700901002"
    await _say(db, ana, "hi", name="Ana")
    events, _ = await _say(db, eve, f"create a task {PHISH} and assign it to Ana", name="Eve")
    assert not _to(events, ana), "nothing may reach Ana"
    assert "Nobody called Ana is in your team" in _texts(events)
    events, _ = await _say(db, eve, "assign it to Ana", name="Eve")
    assert not _to(events, ana)
    assert "Nobody called Ana" in _texts(events)


async def test_project_names_of_others_cannot_be_probed(db: Database) -> None:
    ana, eve = "447700901011", "447700901012"
    await _say(db, ana, "create project Secret Merger", name="Ana")
    await _say(db, ana, "add draft the offer to the Secret Merger project", name="Ana")
    events, _ = await _say(db, eve, "create project Secret Merger", name="Eve")
    assert "exists" not in _texts(events).lower()
    events, _ = await _say(db, eve, "how is Secret Merger going?", name="Eve")
    # Eve sees her own, empty project: not Ana's task.
    assert "draft the offer" not in _texts(events)
    events, _ = await _say(db, eve, "how is the merger project going?", name="Eve")
    assert "draft the offer" not in _texts(events)


async def test_an_invitation_asks_first_and_carries_none_of_the_inviters_words(db: Database) -> None:
    ana, eve = "447700901021", "447700901022"
    await _say(db, ana, "hi", name="Ana")
    # Eve's WhatsApp profile name is free text she controls: it must not reach Ana either.
    events, _ = await _say(db, eve, "invite +44 7700 901021", name=PHISH)
    assert "Invitation for +44 7700 901021 saved" in _texts(events)
    question = _to(events, ana)
    assert len(question) == 1
    assert question[0].kind == "interactive"
    said = str(question[0].content)
    assert "+44 7700 901022" in said
    assert "evil" not in said
    assert "locked" not in said
    # No: Eve is still a stranger, and asking again asks nothing.
    events, _ = await _say(db, ana, "No, thanks", tap=_invite_button(events, ana, "no"), name="Ana")
    assert "won't be asked again" in _texts(events)
    events, _ = await _say(db, eve, "invite +447700901021", name="Eve")
    assert "Invitation for" in _texts(events)  # the same answer: a "no" is not Eve's to learn
    assert not _to(events, ana)
    events, _ = await _say(db, eve, f"create a task {PHISH} and assign it to Ana", name="Eve")
    assert not _to(events, ana)


async def test_teammates_are_told_and_links_in_notices_are_not_links(db: Database) -> None:
    ana, ben = "447700901031", "447700901032"
    await _say(db, ben, "hi", name="Ben")
    await _team_up(db, ana, ben, names=("Ana", "Ben"))
    events, _ = await _say(
        db, ana, "create a task check https://docs.example.com/q3 and assign it to Ben", name="Ana"
    )
    notice = _to(events, ben)
    assert len(notice) == 1
    body = str(notice[0].content["body"])
    assert "docs[.]example[.]com" in body
    assert "https://" not in body
    assert notice[0].content["preview_url"] is False
    events, _ = await _say(db, ben, "my team", name="Ben")
    assert "Ana" in _texts(events)


async def test_leaving_ends_the_tie_and_its_assignments(db: Database) -> None:
    ana, ben = "447700901041", "447700901042"
    await _say(db, ben, "hi", name="Ben")
    await _team_up(db, ana, ben, names=("Ana", "Ben"))
    await _say(db, ana, "create a task water the plants and assign it to Ben", name="Ana")
    events, _ = await _say(db, ben, "leave my team", name="Ben")
    assert "left your team" in _texts(events)
    events, _ = await _say(db, ben, "my tasks", name="Ben")
    assert "water the plants" not in _texts(events)
    events, _ = await _say(db, ana, "assign water the plants to Ben", name="Ana")
    assert not _to(events, ben)
    events, _ = await _say(db, ana, "my team", name="Ana")
    assert "not in a team" in _texts(events)


async def test_a_number_that_never_wrote_is_asked_when_it_first_writes(db: Database) -> None:
    ana, cai = "447700901051", "447700901052"
    first, _ = await _say(db, ana, "invite +44 7700 901052", name="Ana")
    assert not _to(first, cai)
    events, _ = await _say(db, cai, "hello", name="Cai", now=NOW + timedelta(hours=2))
    questions = [e for e in _to(events, cai) if e.kind == "interactive"]
    assert len(questions) == 1
    assert "invites you to their team" in str(questions[0].content)
    # The inviter hears the same whether or not the number uses Tasklane.
    assert "Invitation for +44 7700 901052 saved" in _texts(first)


async def test_an_invitation_button_of_someone_else_answers_nothing(db: Database) -> None:
    ana, ben, eve = "447700901061", "447700901062", "447700901063"
    await _say(db, ben, "hi", name="Ben")
    events, _ = await _say(db, ana, "invite +447700901062", name="Ana")
    stolen = _invite_button(events, ben)
    await _say(db, eve, "hi", name="Eve")
    answer, _ = await _say(db, eve, "Join", tap=stolen, name="Eve")
    assert "no longer open" in _texts(answer)
    events, _ = await _say(db, ana, "my team", name="Ana")
    assert "Eve" not in _texts(events)


async def _deliver(db: Database, kind: str, raw: dict[str, object], n: int) -> list[ReplyRequested]:
    published: list[Event] = []

    async def publish(event: Event, event_id: str) -> None:
        published.append(event)

    event = MessageReceived(
        wamid=f"wamid.kind.{n}",
        phone_number_id="pn-turns",
        user_id="user-447700901071",
        wa_id="447700901071",
        message_type=kind,
        raw=raw,
        sent_at=NOW,
        received_at=NOW,
    )
    async with db.transaction() as session:
        await take_turn(
            session, SETTINGS, event, turn_id=deterministic_id("m", event.wamid), now=NOW, publish=publish
        )
    return [e for e in published if isinstance(e, ReplyRequested)]


async def test_reactions_edits_and_notices_are_not_answered(db: Database) -> None:
    kinds: list[tuple[str, dict[str, object]]] = [
        ("reaction", {}), ("system", {}), ("unsupported", {"unsupported": {"type": "edit"}}), ("edit", {}),
        ("revoke", {}),
    ]  # fmt: skip
    for n, (kind, raw) in enumerate(kinds):
        assert not await _deliver(db, kind, raw, n), f"{kind} was answered"
    # A photo is a message: it still gets the "I read text" answer.
    photo = await _deliver(db, "image", {}, 99)
    assert "only read text" in str(photo[0].content)
