"""One turn on the real PostgreSQL: a refused change commits nothing, users get their country's
timezone and language, and what the next message may refer to survives a restart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from turn_helpers import NOW, _say, _team_up, _texts, agent_db

from tasklane_agent.engines.base import Context, EngineReply
from tasklane_agent.storage.conversations import ConversationRepository
from tasklane_agent.storage.profiles import ProfileRepository
from tasklane_agent.storage.tables import reminders
from tasklane_agent.storage.tasks import TaskFilter
from tasklane_agent.workspace import NotFound, Workspace
from tasklane_common.db import Database
from tasklane_common.messaging.contracts.agent import ReplyRequested
from tasklane_common.messaging.envelope import Event


@pytest.fixture(scope="module")
async def db() -> AsyncIterator[Database]:
    async with agent_db() as database:
        yield database


class HalfDoneEngine:
    """Creates a task, then hits a refusal: as if a tool failed midway."""

    name = "half-done"

    async def respond(self, context: Context) -> EngineReply:
        await context.workspace.tasks.create_task("written before the refusal")
        context.state.last_list = ["nothing"]
        raise NotFound("no such teammate in your organisation")


async def test_a_refused_change_commits_nothing_of_the_turn(db: Database) -> None:
    phone = "447700900501"
    events, result = await _say(db, phone, "anything", engine=HalfDoneEngine())
    assert result.intent == "error"
    assert "couldn't find" in _texts(events)
    assert not [e for e in events if e.event_type == "task.created"]
    async with db.read() as session:
        profile = await ProfileRepository(session).get(f"user-{phone}")
        assert profile is not None
        workspace = Workspace(session, profile, now=NOW, seed="check")
        assert await workspace.tasks.list_tasks(TaskFilter(status=None)) == []
        assert (await ConversationRepository(session).state(profile.user_id)).last_list == []


@pytest.mark.parametrize(
    ("phone", "zone", "lang", "reply"),
    [
        ("447700900502", "Europe/London", "en", "Your open tasks"),
        ("34600111502", "Europe/Madrid", "es", "Tus tareas"),
        ("5511988880502", "America/Sao_Paulo", "pt", "Suas tarefas"),
        ("12125550502", "America/New_York", "en", "Your open tasks"),
        ("19075550502", "America/Anchorage", "en", "Your open tasks"),
        # A user known only by a business-scoped id: its country prefix tells.
        ("BR.8203471133", "America/Sao_Paulo", "pt", "Suas tarefas"),
    ],
)
async def test_a_new_user_gets_their_countrys_timezone_and_language(
    db: Database, phone: str, zone: str, lang: str, reply: str
) -> None:
    events, _ = await _say(db, phone, "#1")  # says nothing about the language
    events, _ = await _say(
        db, phone, {"en": "add task x", "es": "nueva tarea x", "pt": "nova tarefa x"}[lang]
    )
    events, _ = await _say(db, phone, {"en": "my tasks", "es": "mis tareas", "pt": "minhas tarefas"}[lang])
    assert reply in _texts(events)
    async with db.read() as session:
        profile = await ProfileRepository(session).get(f"user-{phone}")
    assert profile is not None
    assert (profile.timezone, profile.lang) == (zone, lang)


async def test_writing_in_another_language_switches_the_replies(db: Database) -> None:
    phone = "447700900503"
    await _say(db, phone, "add task buy milk tomorrow")
    events, _ = await _say(db, phone, "¿qué tengo para mañana?")
    assert "Para mañana" in _texts(events)
    events, _ = await _say(db, phone, "what's due tomorrow?")
    assert "Due tomorrow" in _texts(events)


async def test_the_last_list_and_focus_survive_a_restart(db: Database) -> None:
    phone = "447700900504"
    await _say(db, phone, "add task first thing")
    await _say(db, phone, "add task second thing")
    listing, _ = await _say(db, phone, "my tasks")
    [line] = [x for x in _texts(listing).splitlines() if "second thing" in x]
    # A new process: nothing in memory, only what the schema holds.
    events, _ = await _say(db, phone, f"done with #{line.split('.')[0]}")
    assert "second thing" in _texts(events)
    events, _ = await _say(db, phone, "undo")
    assert "second thing" in _texts(events)
    events, _ = await _say(db, phone, "delete it")
    assert "Delete *second thing*?" in _texts(events)


async def test_moving_timezone_keeps_the_calendar_day_of_date_only_deadlines(db: Database) -> None:
    phone = "34600111505"  # Madrid
    await _say(db, phone, "nueva tarea pagar el alquiler el viernes")
    await _say(db, phone, "nueva tarea llamar a Marta el viernes a las 10")
    events, _ = await _say(db, phone, "cambia mi zona horaria a Mexico City")
    assert "America/Mexico_City" in _texts(events)
    events, _ = await _say(db, phone, "mis tareas")
    listing = _texts(events)
    assert "*pagar el alquiler* — vence vie 27 nov" in listing  # still Friday, not Thursday 17:00
    assert "*llamar a Marta* — vence vie 27 nov, 03:00" in listing  # the same instant, in Mexico


async def test_a_change_to_what_a_task_already_is_emits_nothing(db: Database) -> None:
    phone = "447700900506"
    await _say(db, phone, "add task water the plants high priority")
    events, _ = await _say(db, phone, "make it high priority")
    assert not [e for e in events if e.event_type == "task.updated"]
    events, _ = await _say(db, phone, "make it low priority")
    [updated] = [e for e in events if e.event_type == "task.updated"]
    assert updated.changes == {"priority": "low"}  # type: ignore[attr-defined]


def _buttons(events: list[Event]) -> dict[str, str]:
    """Title → id of the buttons and list rows the replies offered."""
    found: dict[str, str] = {}
    for reply in (e for e in events if isinstance(e, ReplyRequested) and e.kind == "interactive"):
        action = reply.content["action"]
        for button in action.get("buttons", []):
            found[button["reply"]["title"]] = button["reply"]["id"]
        for section in action.get("sections", []):
            for row in section["rows"]:
                found[row["title"]] = row["id"]
    return found


async def test_a_tap_on_an_older_questions_button_answers_nothing(db: Database) -> None:
    phone = "447700900507"
    await _say(db, phone, "add task call the dentist tomorrow")
    await _say(db, phone, "add task buy milk friday")
    old, _ = await _say(db, phone, "delete buy milk")
    await _say(db, phone, "No", tap=_buttons(old)["No"])
    await _say(db, phone, "delete call the dentist")  # a new question is waiting
    events, result = await _say(db, phone, "Yes", tap=_buttons(old)["Yes"])  # the old Yes
    assert result.intent == "stale_choice"
    events, _ = await _say(db, phone, "my tasks")
    assert "call the dentist" in _texts(events)
    assert "buy milk" in _texts(events)


async def test_completing_a_repeating_task_twice_makes_one_next_occurrence(db: Database) -> None:
    phone = "447700900508"
    await _say(db, phone, "water the plants every Monday at 9am")
    await _say(db, phone, "done with water the plants")
    await _say(db, phone, "reopen it")
    events, _ = await _say(db, phone, "my tasks")
    assert "1. *water the plants* — due Mon 30 Nov" in _texts(events)  # and next week's, made once
    await _say(db, phone, "done with #1")
    events, _ = await _say(db, phone, "my tasks")
    assert _texts(events).count("water the plants") == 1
    assert "Mon 7 Dec" in _texts(events)


async def test_undo_leaves_a_teammates_later_change_alone(db: Database) -> None:
    ana, ben = "447700900509", "447700900510"
    later = NOW.replace(minute=5)
    await _say(db, ben, "hi", name="Ben")
    await _team_up(db, ana, ben, names=("Ana", "Ben"))
    await _say(db, ana, "create project Launch")
    await _say(db, ana, "add Ben to the Launch project")
    await _say(db, ana, "add write the press release to the Launch project")
    await _say(db, ana, "make it high priority", now=NOW.replace(minute=1))
    await _say(db, ben, "done with the press release", now=NOW.replace(minute=2), name="Ben")
    events, _ = await _say(db, ana, "undo", now=later)
    assert "changed since" in _texts(events)
    events, _ = await _say(db, ana, "what have I finished?", now=later)
    assert "write the press release" in _texts(events)


async def test_two_replicas_completing_a_repeating_task_at_once_make_one_next_occurrence(
    db: Database,
) -> None:
    phone = "447700900511"
    await _say(db, phone, "water the plants every Monday at 9am")
    async with db.read() as session:
        owner = await ProfileRepository(session).get(f"user-{phone}")
        assert owner is not None
        [task] = await Workspace(session, owner, now=NOW, seed="look").tasks.list_tasks(TaskFilter())

    async def complete(seed: str) -> Any:
        async with db.transaction() as session:
            return await Workspace(session, owner, now=NOW, seed=seed).tasks.complete_task(task.id)

    results = await asyncio.gather(complete("replica-1"), complete("replica-2"))
    assert sorted(following is not None for _, following in results) == [False, True]
    async with db.read() as session:
        open_tasks = await Workspace(session, owner, now=NOW, seed="check").tasks.list_tasks(TaskFilter())
    assert [x.due_at for x in open_tasks] == [datetime(2026, 12, 7, 9, 0, tzinfo=UTC)]


async def test_a_partial_match_is_asked_about_not_acted_on(db: Database) -> None:
    phone = "447700900512"
    await _say(db, phone, "add task call the bank")
    events, _ = await _say(db, phone, "done with the dentist call")
    assert _buttons(events) == {"call the bank": _buttons(events)["call the bank"]}
    listing, _ = await _say(db, phone, "my tasks")
    assert "call the bank" in _texts(listing)  # still open


async def test_a_date_too_far_away_gets_an_answer_and_no_task(db: Database) -> None:
    phone = "447700900513"
    events, result = await _say(db, phone, "buy milk on 31/12/9999")
    assert result.intent == "error"
    assert "too far away" in _texts(events)
    events, _ = await _say(db, phone, "my tasks")
    assert "no open tasks" in _texts(events)


async def test_a_chosen_language_stays_whatever_the_user_writes_in(db: Database) -> None:
    phone = "447700900514"
    await _say(db, phone, "speak Spanish")
    events, _ = await _say(db, phone, "what are my tasks?")
    assert "No tienes tareas pendientes" in _texts(events)


async def test_a_date_only_deadline_is_the_same_day_for_teammates_in_other_timezones(db: Database) -> None:
    ana, bia = "34600111515", "5511988880515"  # Madrid, São Paulo
    await _say(db, bia, "oi", name="Bia")
    await _team_up(db, ana, bia, names=("Ana", "Bia"))
    await _say(db, ana, "nueva tarea revisar el presupuesto el viernes", name="Ana")
    events, _ = await _say(db, ana, "asígnala a Bia", name="Ana")
    notices = [e for e in events if isinstance(e, ReplyRequested) and e.to == bia]
    assert len(notices) == 1
    assert "sex 27 nov" in notices[0].content["body"]
    friday_morning = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)  # 08:00 in São Paulo
    events, _ = await _say(db, bia, "minhas tarefas", name="Bia", now=friday_morning)
    listing = _texts(events)
    assert "*revisar el presupuesto* — vence sex 27 nov" in listing
    assert "atrasada" not in listing


@pytest.mark.parametrize(
    ("phone", "word", "reply"),
    [
        ("15551230601", "hola", "¡Hola"),
        ("15551230602", "obrigado", "De nada"),
        ("15551230603", "hi", "Hi Ana"),
    ],
)
async def test_a_one_word_greeting_is_answered_in_its_language(
    db: Database, phone: str, word: str, reply: str
) -> None:
    events, _ = await _say(db, phone, word)  # a US number: English unless the word says otherwise
    assert _texts(events).startswith(reply)


async def test_lists_over_several_days(db: Database) -> None:
    phone = "447700900516"
    for text in (
        "add task paint the fence this weekend",
        "add task pay rent friday",
        "add task old thing yesterday",
    ):
        await _say(db, phone, text)
    events, _ = await _say(db, phone, "what's due by friday?")
    by_friday = _texts(events)
    assert "Due by Fri 27 Nov (2)" in by_friday
    assert "old thing" in by_friday
    assert "paint the fence" not in by_friday
    events, _ = await _say(db, phone, "what do I have this weekend?")
    assert "Due Sat 28 Nov to Sun 29 Nov (1)" in _texts(events)


async def test_a_word_stem_only_matches_at_the_start_of_a_word(db: Database) -> None:
    phone = "447700900517"
    await _say(db, phone, "add task update my profile photo")
    events, _ = await _say(db, phone, "done files")
    assert "Done" not in _texts(events)
    listing, _ = await _say(db, phone, "my tasks")
    assert "update my profile photo" in _texts(listing)


async def test_completing_again_days_later_keeps_one_series(db: Database) -> None:
    phone = "447700900518"
    await _say(db, phone, "standup every day at 9am", now=NOW.replace(hour=7))
    await _say(db, phone, "done with standup", now=NOW.replace(hour=8))  # makes Thursday's
    next_day = NOW.replace(day=26, hour=10)  # Wednesday's occurrence of the series is overdue now
    await _say(db, phone, "reopen standup", now=next_day)
    listing, _ = await _say(db, phone, "my tasks", now=next_day)
    [wednesday] = [x for x in _texts(listing).splitlines() if "Wed 25 Nov" in x]
    await _say(db, phone, f"done with #{wednesday.split('.')[0]}", now=next_day)
    events, _ = await _say(db, phone, "my tasks", now=next_day)
    assert _texts(events).count("standup") == 1


async def test_lists_put_a_date_only_day_after_the_evening_before_west_of_utc(db: Database) -> None:
    phone = "12125550519"  # New York
    afternoon = datetime(2026, 11, 25, 19, 0, tzinfo=UTC)  # 14:00 there
    for text in ("paint the fence thursday", "fix the door today at 9pm", "call mom today at 8pm"):
        await _say(db, phone, f"add task {text}", now=afternoon)
    events, _ = await _say(db, phone, "my tasks", now=afternoon)
    lines = _texts(events).splitlines()[1:]
    assert [line.split("*")[1] for line in lines] == ["call mom", "fix the door", "paint the fence"]


async def test_a_reminder_follows_a_deadline_that_gains_a_time_at_the_same_hour(db: Database) -> None:
    phone = "447700900520"  # London: a date-only Friday is reminded at 09:00, like "Friday 9am"
    await _say(db, phone, "add task submit expenses friday")
    await _say(db, phone, "move it to friday at 9am")
    async with db.read() as session:
        profile = await ProfileRepository(session).get(f"user-{phone}")
        assert profile is not None
        [task] = await Workspace(session, profile, now=NOW, seed="check").tasks.list_tasks(TaskFilter())
        rows = (
            await session.execute(
                select(reminders.c.kind, reminders.c.due_at).where(
                    reminders.c.task_id == task.id, reminders.c.status == "pending"
                )
            )
        ).all()
    assert task.due_has_time
    assert sorted(kind for kind, _ in rows) == ["due", "lead"]
    assert {due for _, due in rows} == {task.due_at}  # the worker would drop one for another deadline
