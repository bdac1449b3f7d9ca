"""English categories the blind evaluation sets found, in sentences of our own: how people who
never saw the parser ask for lists, add remarks and politeness around a request, and ask a
question followed by a remark. The clock is pinned to Wed 25 Nov 2026 09:00 in London."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tasklane_agent.nlu.commands import (
    Command,
    CompleteTask,
    CreateTask,
    DeleteTask,
    ListTasks,
    MoveTask,
    ProjectStatus,
    SetLanguage,
    SetTimezone,
    TaskDue,
    TaskRef,
    UpdateTask,
)
from tasklane_agent.nlu.parse import understand
from tasklane_agent.nlu.parse.followup import read_follow_up

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Europe/London"))  # a Wednesday


def reading(text: str) -> Command:
    command = understand(text, NOW, "en").command
    due = getattr(command, "due", None)
    if due is not None:
        command = replace(command, due=due.at.strftime("%Y-%m-%d %H:%M" if due.has_time else "%Y-%m-%d"))
    return command


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what jobs have I got", ListTasks()),
        ("show me my chores", ListTasks()),
        ("which errands are still open", ListTasks()),
        ("which jobs did I finish this week?", ListTasks("done")),
        ("please tell me nothing is overdue", ListTasks("overdue")),
        ("Would you kindly show me what I have on at the moment", ListTasks()),
        ("what's on my list currently, if you don't mind", ListTasks()),
        ("Could you show me everything on my list, I think I doubled something up.", ListTasks("all")),
        ("Would you be so kind as to show me my jobs", ListTasks()),
        ("I was wondering if you could show me what's overdue", ListTasks("overdue")),
        ("could you show me what is due tomorrow, I want to get organised.", ListTasks("tomorrow")),
    ],
)
def test_lists_asked_in_other_words(text: str, expected: Command) -> None:
    assert reading(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "when is the plumber again?? my head is all over the place today",
            TaskDue(TaskRef(query="plumber")),
        ),
        ("what's due tomorrow? crazy week so far", ListTasks("tomorrow")),
        ("how's the garage project going? the roofer came today", ProjectStatus("garage")),
    ],
)
def test_a_question_then_a_remark_is_the_question(text: str, expected: Command) -> None:
    assert reading(text) == expected


@pytest.mark.parametrize(
    ("text", "title", "due"),
    [
        ("in a few days i have to return the library dvds, dont let me forget lol", "return the library dvds",
         "2026-11-28"),
        ("On Monday I must ring the garage about the tyres, could you put that down for me.",
         "ring the garage about the tyres", "2026-11-30"),
        ("email the landlord tomorrow, can u remind me", "email the landlord", "2026-11-26"),
        ("order the cake friday haha", "order the cake", "2026-11-27"),
    ],
)  # fmt: skip
def test_asking_to_note_it_stays_out_of_the_title(text: str, title: str, due: str) -> None:
    assert reading(text) == CreateTask(title, due=due)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "query", "project"),
    [
        ("Could the gutter quote go in my House project please, it belongs there.", "gutter quote", "House"),
        ("can the vat return go under Admin?", "vat return", "Admin"),
        ("pop the seed order in my Allotment project", "seed order", "Allotment"),
        ("the bulb order and the compost go in allotment", "bulb order and the compost", "allotment"),
        ("the flyer proofs shld be in summer fair, can u move it there pls", "flyer proofs", "summer fair"),
    ],
)
def test_a_task_filed_by_asking_or_with_a_remark(text: str, query: str, project: str) -> None:
    found = reading(text)
    assert isinstance(found, MoveTask)
    assert (found.ref.query, found.project) == (query, project)


def test_a_new_task_for_a_project_keeps_the_date_said_after_the_project() -> None:
    found = reading("add book the removal van to house move for friday")
    assert isinstance(found, MoveTask)
    assert (found.ref.query, found.project, found.adds) == ("book the removal van", "house move", True)
    assert isinstance(found.otherwise, CreateTask)
    assert found.otherwise.due is not None
    assert found.otherwise.due.at.date().isoformat() == "2026-11-27"


@pytest.mark.parametrize(
    ("text", "query", "forms"),
    [
        ("I have rung the council about the bins, so you can tick that off", "council about bins",
         ("ring", "call")),
        ("I've written the thank you cards", "thank you cards", ("write",)),
        ("we have taken the recycling to the tip", "recycling tip", ("take",)),
    ],
)  # fmt: skip
def test_done_said_with_a_participle(text: str, query: str, forms: tuple[str, ...]) -> None:
    found = reading(text)
    assert isinstance(found, CompleteTask)
    assert (found.ref.query, found.ref.verb_forms) == (query, forms)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We are staying with my sister in Lisbon until March, so please set my time zone to Lisbon.",
         SetTimezone("Europe/Lisbon")),
        ("My grandson learns it at school. Please switch the language to Spanish", SetLanguage("es")),
    ],
)  # fmt: skip
def test_a_setting_asked_for_after_the_story(text: str, expected: Command) -> None:
    assert reading(text) == expected


def test_an_ellipsis_does_not_cut_a_request_in_two() -> None:
    found = reading("remind me to feed the fish... every Saturday at 9 in the morning...")
    assert isinstance(found, CreateTask)
    assert found.title == "feed the fish"
    assert found.due == "2026-11-28 09:00"


@pytest.mark.parametrize(
    ("text", "query", "due"),
    [
        ("my piano lesson got moved to 4", "piano lesson", "2026-11-25 16:00"),
        ("the vet appointment has been pushed back to monday", "vet appointment", "2026-11-30"),
        ("move my dentist appointment to 11", "dentist appointment", "2026-11-25 11:00"),
        ("push the skip hire back to friday its raining all week", "skip hire", "2026-11-27"),
        ("move the boiler service to monday cause im away friday", "boiler service", "2026-11-30"),
    ],
)
def test_a_change_reported_or_said_with_a_remark(text: str, query: str, due: str) -> None:
    found = reading(text)
    assert isinstance(found, UpdateTask)
    assert (found.ref.query, found.due) == (query, due)


def test_a_remark_after_the_date_of_a_new_task_leaves_the_title() -> None:
    assert reading("ring grandma tomorrow its her birthday") == CreateTask("ring grandma", due="2026-11-26")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("oh and its on the 14th so make it the 12th so i have time to revise", "2026-12-12"),
        ("the exam is on the 14th so make it the 12th", "2026-12-12"),
        ("move it to the 3rd pls", "2026-12-03"),
    ],
)
def test_a_follow_up_names_the_day_to_set_after_the_reason(text: str, day: str) -> None:
    change = read_follow_up(text, NOW, "en")
    assert change is not None
    assert change.due is not None
    assert change.due.at.date().isoformat() == day


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("argh i completely forgot to post the parcel to gran yesterday", "post the parcel to gran"),
        ("we still haven't booked the campsite lol", "campsite"),
        ("I didn't ring the garage yet", "ring the garage"),
    ],
)
def test_not_done_yet_shows_the_task(text: str, query: str) -> None:
    assert reading(text) == TaskDue(TaskRef(query=query))


@pytest.mark.parametrize(
    "text", ["i didn't finish the report", "I forgot my umbrella", "did I forget to pay?"]
)
def test_what_is_no_not_done_yet(text: str) -> None:
    assert not isinstance(reading(text), TaskDue)


@pytest.mark.parametrize(
    "text",
    [
        "long night at the office, so done with this week",
        "hectic week at work, brain is fried today",
        "rough shift tonight, wiped out",
    ],
)
def test_how_the_day_feels_is_no_task(text: str) -> None:
    assert not isinstance(reading(text), CreateTask)


def test_a_change_said_in_passing_changes_the_task() -> None:
    found = reading(
        "The school phoned and we have to move the parents evening to next Thursday, at the same time."
    )
    assert isinstance(found, UpdateTask)
    assert (found.ref.query, found.due) == ("parents evening", "2026-12-03")


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("My neighbour lent me his ladder so I no longer need to buy a ladder. Could you delete it please.",
         "buy a ladder"),
        ("turns out i dont need to renew the parking permit anymore", "renew the parking permit"),
        ("the vet rang, we have to cancel the checkup for rex", "checkup for rex"),
    ],
)  # fmt: skip
def test_no_longer_needed_asks_to_delete_that_task(text: str, query: str) -> None:
    assert reading(text) == DeleteTask(TaskRef(query=query))


@pytest.mark.parametrize(
    "text", ["I don't need to go to the gym tomorrow", "I need to move the car tomorrow"]
)
def test_what_is_no_change_in_passing(text: str) -> None:
    assert not isinstance(reading(text), DeleteTask | UpdateTask)


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("rename the all hands one to all hands notes v3", "all hands"),
        ("move the all-day workshop to friday", "all-day workshop"),
    ],
)
def test_all_in_a_compound_name_is_one_task(text: str, query: str) -> None:
    found = reading(text)
    assert isinstance(found, UpdateTask)
    assert found.ref.query == query


@pytest.mark.parametrize(
    "text", ["delete all", "delete all tasks", "complete all of them", "delete all my stuff"]
)
def test_all_alone_is_still_every_task(text: str) -> None:
    assert not isinstance(reading(text), DeleteTask | UpdateTask)


@pytest.mark.parametrize(
    ("text", "title", "who"),
    [
        ("Ben needs to update the onboarding doc by Friday, can you put it on him",
         "update the onboarding doc", "Ben"),
        ("Priya has to review the deck tomorrow, assign it to her", "review the deck", "Priya"),
    ],
)  # fmt: skip
def test_a_task_said_of_someone_then_handed_to_them(text: str, title: str, who: str) -> None:
    found = reading(text)
    assert isinstance(found, CreateTask)
    assert (found.title, found.assignee) == (title, who)


def test_a_lower_case_word_is_no_one_to_hand_a_task_to() -> None:
    found = reading("the dog needs to see the vet friday, can you put it on him")
    assert not (isinstance(found, CreateTask) and found.assignee)


@pytest.mark.parametrize(
    "text",
    ["and its urgent they want to start this week", "important because the client signs friday"],
)
def test_a_priority_with_a_remark_about_someone_elses_date(text: str) -> None:
    change = read_follow_up(text, NOW, "en")
    assert change is not None
    assert (change.priority, change.due) == ("high", None)


def test_a_priority_with_the_tasks_own_date_is_not_guessed() -> None:
    assert read_follow_up("urgent they need it by friday", NOW, "en") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what do i have on wensday", ListTasks(day=date(2026, 12, 2))),
        ("anything due thurs?", ListTasks("tomorrow")),
        ("tasks for firday", ListTasks(day=date(2026, 11, 27))),
    ],
)
def test_a_day_list_asked_with_a_weekday_typed_short_or_wrong(text: str, expected: Command) -> None:
    assert reading(text) == expected
