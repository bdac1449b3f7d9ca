"""The conversation suite: every script under ``conversations/`` played against the agent.

Each conversation is one test. Its users and organisation are its own (derived from its id), the
clock and timezone are pinned, and each message goes through ``take_turn`` in its own transaction
on the real PostgreSQL, as the consumer would run it. The replies must show the script's key
facts (case-insensitive substrings: titles, dates, counts, names), never exact sentences; at the
end the task store must hold exactly what the script says. A failure prints the whole transcript.
"""

from __future__ import annotations

import os
import traceback
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conversation_runner import ExpectedTask, Person, Script, Turn, load_scripts, norm

from tasklane_agent.app import create_app
from tasklane_agent.domain import Profile, Task, deadlines
from tasklane_agent.settings import AgentSettings, LlmSettings
from tasklane_agent.storage.profiles import ProfileRepository
from tasklane_agent.storage.projects import ProjectRepository
from tasklane_agent.storage.replies import ReplySubjects
from tasklane_agent.storage.tasks import TaskFilter
from tasklane_agent.storage.teams import TeamRepository
from tasklane_agent.turns import take_turn
from tasklane_agent.workspace import TaskChanges, Workspace
from tasklane_common.messaging.contracts.agent import ReplyRequested
from tasklane_common.messaging.contracts.gateway import MessageReceived
from tasklane_common.messaging.envelope import Event
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.testing import cleanup_run, new_run_id, real_settings, running

# CONVERSATIONS=<folder> plays another set (the blind evaluation set: see blind/README.md);
# CONVERSATIONS_FILES=<glob> picks some of its files ("pt_*.toml").
_OTHER_SET = os.environ.get("CONVERSATIONS")
_FILES = os.environ.get("CONVERSATIONS_FILES", "*.toml")
SCRIPTS = load_scripts(Path(_OTHER_SET), _FILES) if _OTHER_SET else load_scripts(pattern=_FILES)
STEP = timedelta(seconds=20)  # between two turns when the script does not move the clock


@dataclass
class Agent:
    runtime: ServiceRuntime
    settings: AgentSettings


@pytest.fixture(scope="module")
async def agent() -> AsyncIterator[Agent]:
    run_id = new_run_id()
    # No LLM endpoint: the offline engine answers, the same way on every run.
    settings = real_settings(AgentSettings, run_id, "agent", llm=LlmSettings())
    app = create_app(settings)
    try:
        async with running(app):
            yield Agent(app.state.runtime, settings)
    finally:
        await cleanup_run(run_id)


@dataclass(frozen=True)
class Option:
    kind: str  # button_reply | list_reply
    id: str
    title: str
    description: str = ""


def options_of(reply: ReplyRequested) -> list[Option]:
    content = reply.content
    if reply.kind != "interactive":
        return []
    action = content.get("action", {})
    if content.get("type") == "button":
        return [Option("button_reply", b["reply"]["id"], b["reply"]["title"]) for b in action["buttons"]]
    return [
        Option("list_reply", r["id"], r["title"], r.get("description", ""))
        for section in action.get("sections", [])
        for r in section["rows"]
    ]


def shown(reply: ReplyRequested) -> str:
    """Everything the user sees of a reply: its text, and the titles of its buttons or rows."""
    content = reply.content
    body = str(content["body"] if reply.kind == "text" else content.get("body", {}).get("text", ""))
    extra = [o.title + (f" ({o.description})" if o.description else "") for o in options_of(reply)]
    if reply.kind == "interactive" and content.get("type") == "list":
        extra.insert(0, "list: " + str(content.get("action", {}).get("button", "")))
    return body + ("\n    [" + " | ".join(extra) + "]" if extra else "")


def option_matches(option: Option, wanted: str) -> bool:
    """``wanted`` is the option's title, or the start of a title WhatsApp's limits cut ("…")."""
    title, want = norm(option.title), norm(wanted)
    if want in title or want in norm(option.description):
        return True
    return title.endswith("…") and want.startswith(title[:-1].rstrip())


@dataclass
class Played:
    script: Script
    tz: ZoneInfo
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notices: list[tuple[str, str]] = field(default_factory=list)  # (user_id, text)
    last_options: dict[str, list[Option]] = field(default_factory=dict)  # per speaker's user_id
    last_replies: dict[str, list[ReplyRequested]] = field(default_factory=dict)  # per speaker's user_id

    def fail(self, problem: str) -> None:
        self.problems.append(problem)
        self.lines.append(f"      ✗ {problem}")

    def report(self) -> str:
        s = self.script
        zone = s.tz or f"{self.tz.key} (from the phone)"
        head = f"conversation {s.id} ({s.source}): {s.user.name} +{s.user.phone}, {zone}"
        return "\n".join([head, *self.lines, "", f"{len(self.problems)} problem(s):", *self.problems])


def local_due(task: Task, tz: ZoneInfo) -> str:
    if task.due_at is None:
        return "none"
    at = deadlines.local_due(task.due_at, task.due_has_time, tz)
    return at.strftime("%Y-%m-%dT%H:%M") if task.due_has_time else at.strftime("%Y-%m-%d")


def local_time(value: datetime, tz: ZoneInfo) -> datetime:
    return value.replace(tzinfo=tz).astimezone(UTC)


async def meet(session: Any, settings: AgentSettings, script: Script, at: datetime) -> dict[str, Profile]:
    """The users, as if they had written before (with the script's timezone pinned)."""
    repo = ProfileRepository(session)
    profiles: dict[str, Profile] = {}
    for person in script.people.values():
        profile = await repo.meet(
            user_id=person.user_id,
            org_id=script.org_id,
            address=person.phone,
            name=person.name,
            default_timezone=settings.default_timezone,
            now=at,
        )
        if script.tz:
            await repo.update(person.user_id, at, timezone=script.tz, timezone_source="user")
            profile = await repo.get(person.user_id) or profile
        profiles[person.name] = profile
    # The user and their teammates are one team, made by an admin; strangers are in none.
    teams = TeamRepository(session)
    team = await teams.create_admin_team(f"team-{script.id}"[:36], script.org_id, f"Team {script.id}", at)
    assert team is not None
    for person in script.people.values():
        if person.team:
            await teams.join(team.id, person.user_id, at)
    return profiles


async def seed(session: Any, script: Script, profiles: dict[str, Profile], at: datetime) -> None:
    """The projects and tasks the script starts with."""
    spaces = {
        name: Workspace(session, p, now=at, seed=f"given:{script.id}:{name}") for name, p in profiles.items()
    }
    projects = {}
    for given_project in script.given_projects:
        space = spaces[given_project.owner or script.user.name]
        project = await space.projects.create_project(given_project.name)
        projects[given_project.name] = project.id
        for member in given_project.members:
            await space.projects.add_member(project.id, profiles[member])
    for g in script.given:
        owner = profiles[g.owner or script.user.name]
        space = spaces[owner.name or script.user.name]
        due_at = None
        if g.due is not None:
            # Aware in the owner's zone: a date-only deadline is the day written there.
            due_at = datetime.fromisoformat(g.due).replace(tzinfo=ZoneInfo(owner.timezone))
        task = await space.tasks.create_task(
            g.title,
            priority=g.priority,
            due_at=due_at,
            due_has_time=g.due is not None and "T" in g.due,
            project_id=projects[g.project] if g.project else None,
        )
        if g.assignee:
            await space.tasks.update_task(task.id, TaskChanges(assignee_id=profiles[g.assignee].user_id))
        if g.status == "done":
            await space.tasks.complete_task(task.id)


def check_turn(played: Played, turn: Turn, replies: list[ReplyRequested]) -> None:
    seen = norm("\n".join(shown(r) for r in replies))
    options = [o for r in replies for o in options_of(r)]
    for fact in turn.expect:
        if norm(fact) not in seen:
            played.fail(f"expected {fact!r} in the reply")
    if turn.expect_any and not any(norm(f) in seen for f in turn.expect_any):
        played.fail(f"expected one of {list(turn.expect_any)} in the reply")
    for fact in turn.not_expect:
        if norm(fact) in seen:
            played.fail(f"did not expect {fact!r} in the reply")
    if turn.buttons is not None:
        got = sorted(norm(o.title) for o in options if o.kind == "button_reply")
        if got != sorted(norm(b) for b in turn.buttons):
            played.fail(f"expected buttons {list(turn.buttons)}, got {got}")
    for wanted in turn.options:
        if not any(option_matches(o, wanted) for o in options):
            played.fail(f"expected a button or list row for {wanted!r}, got {[o.title for o in options]}")
    if turn.interactive is not None and bool(options) != turn.interactive:
        played.fail("expected buttons or a list" if turn.interactive else "expected no question, got one")


async def play_turn(
    agent: Agent, played: Played, number: int, turn: Turn, speaker: Person, now: datetime
) -> bool:
    """One message; False when the conversation cannot go on (a press with nothing to press)."""
    script = played.script
    wamid = f"wamid.{script.id}.{number}"
    kind, text, reply_id, interactive_type = "text", turn.say, None, None
    if turn.press is not None:
        choices = played.last_options.get(speaker.user_id, [])
        picked = next((o for o in choices if norm(o.title) == norm(turn.press)), None)
        picked = picked or next((o for o in choices if option_matches(o, turn.press)), None)
        if picked is None:
            played.lines.append(f" {number}. {speaker.name} presses [{turn.press}]")
            played.fail(f"nothing titled {turn.press!r} to press in {[o.title for o in choices]}")
            return False
        kind, text, reply_id, interactive_type = "interactive", picked.title, picked.id, picked.kind
    reaction = None
    if turn.react is not None:
        # The sender reports each reply sent with the wamid WhatsApp gave it (``message.sent``);
        # the reaction then names the last one the speaker got.
        sent = played.last_replies.get(speaker.user_id, [])
        if not sent:
            played.lines.append(f" {number}. {speaker.name} reacts {turn.react}")
            played.fail("no reply to react to")
            return False
        async with agent.runtime.db.transaction() as session:
            for r in sent:
                await ReplySubjects(session).attach_wamid(r.reply_id, f"wamid.out.{r.reply_id}")
        emoji = turn.react or None
        reaction = {"message_id": f"wamid.out.{sent[-1].reply_id}", "emoji": emoji, "removed": emoji is None}
        kind, text = "reaction", None
    event = MessageReceived(
        wamid=wamid,
        phone_number_id=script.org_id,
        user_id=speaker.user_id,
        wa_id=speaker.phone,
        profile_name=speaker.name,
        message_type=kind,
        text=text,
        reply_id=reply_id,
        interactive_type=interactive_type,
        reaction=reaction,
        sent_at=now,
        received_at=now,
    )
    published: list[Event] = []

    async def publish(published_event: Event, event_id: str) -> None:
        published.append(published_event)

    when = now.astimezone(played.tz).strftime("%a %d %b %H:%M:%S")
    said = (
        f"[{text}]"
        if turn.press is not None
        else (f"reacts {turn.react or '(taken back)'}" if reaction else text)
    )
    played.lines.append(f" {number}. {when}  {speaker.name}: {said}")
    turn_id = str(uuid.uuid5(uuid.NAMESPACE_URL, wamid))
    async with agent.runtime.db.transaction() as session:
        result = await take_turn(session, agent.settings, event, turn_id=turn_id, now=now, publish=publish)
    replies = []
    for e in published:
        if not isinstance(e, ReplyRequested):
            continue
        if e.in_reply_to == wamid and e.user_id == speaker.user_id:
            replies.append(e)
        else:
            played.notices.append((e.user_id, shown(e)))
            name = next((p.name for p in script.people.values() if p.user_id == e.user_id), e.user_id)
            played.lines.append(f"      (to {name}: {shown(e)})")
    for r in replies:
        played.lines.append(f"      <{result.intent}> " + shown(r).replace("\n", "\n      "))
    if turn.silent and replies:
        played.fail("expected no reply")
    elif not replies and not turn.silent:
        played.fail("no reply")
    if turn.silent and not replies:
        played.lines.append(f"      <{result.intent}> (no reply)")
    if replies:
        played.last_replies[speaker.user_id] = replies
    played.last_options[speaker.user_id] = [o for r in replies for o in options_of(r)]
    check_turn(played, turn, replies)
    return True


async def describe(session: Any, profile: Profile, now: datetime) -> list[dict[str, Any]]:
    """Every task ``profile`` can see, with names instead of ids and dues in their timezone."""
    space = Workspace(session, profile, now=now, seed="check")
    tasks = await space.tasks.list_tasks(TaskFilter(status=None, limit=500))
    projects = ProjectRepository(session)
    people = await ProfileRepository(session).many([t.assignee_id for t in tasks if t.assignee_id])
    tz = ZoneInfo(profile.timezone)
    described = []
    for t in tasks:
        project = await projects.get(t.project_id) if t.project_id else None
        assignee = people.get(t.assignee_id) if t.assignee_id else None
        described.append(
            {
                "title": t.title,
                "due": local_due(t, tz),
                "priority": t.priority,
                "status": t.status,
                "project": project.name if project else "none",
                "assignee": (assignee.name or assignee.user_id) if assignee else "none",
                "recurring": bool(t.recurrence),
            }
        )
    return described


def match(expected: list[ExpectedTask], actual: list[dict[str, Any]]) -> dict[int, int]:
    """The most expected tasks paired each with a distinct actual task it fits: actual -> expected."""
    fits = [[j for j, a in enumerate(actual) if not e.differences(a)] for e in expected]
    pairs: dict[int, int] = {}

    def place(i: int, seen: set[int]) -> bool:
        for j in fits[i]:
            if j not in seen:
                seen.add(j)
                if j not in pairs or place(pairs[j], seen):
                    pairs[j] = i
                    return True
        return False

    for i in range(len(expected)):
        place(i, set())
    return pairs


def check_tasks(
    played: Played, who: str, expected: list[ExpectedTask], actual: list[dict[str, Any]], *, exact: bool
) -> None:
    pairs = match(expected, actual)
    for i, e in enumerate(expected):
        if i in pairs.values():
            continue
        left = [a for j, a in enumerate(actual) if j not in pairs]
        near = [a for a in left if not any(p.startswith("title") for p in e.differences(a))]
        why = "; ".join(e.differences(near[0])) if near else "no such task (by title)"
        played.fail(f"{who}: expected task {e.title!r}: {why}")
    if exact:
        for j, a in enumerate(actual):
            if j not in pairs:
                played.fail(f"{who}: unexpected task {a['title']!r} ({a['status']}, due {a['due']})")


async def check_end(agent: Agent, played: Played, now: datetime) -> None:
    script = played.script
    async with agent.runtime.db.read() as session:
        repo = ProfileRepository(session)
        profiles = {p.name: await repo.get(p.user_id) for p in script.people.values()}
        views: dict[str, list[dict[str, Any]]] = {}
        for name, profile in profiles.items():
            assert profile is not None
            views[name] = await describe(session, profile, now)
        played.lines.append("end state:")
        for name, tasks in views.items():
            for t in tasks:
                fields = " | ".join(f"{k} {v}" for k, v in t.items() if k != "title")
                played.lines.append(f"   {name} sees {t['title']!r}: {fields}")
        user = profiles[script.user.name]
        assert user is not None
        played.lines.append(f"   {script.user.name}'s profile: timezone {user.timezone}, lang {user.lang}")
        for key, allowed in script.profile.items():
            got = getattr(user, "timezone" if key == "timezone" else "lang")
            if got not in allowed:
                played.fail(f"profile {key} {got!r} (wanted {' or '.join(allowed)})")
        if script.no_tasks and views[script.user.name]:
            played.fail(f"expected no tasks, found {[t['title'] for t in views[script.user.name]]}")
        for who in {t.of or script.user.name for t in script.tasks}:
            wanted = [t for t in script.tasks if (t.of or script.user.name) == who]
            check_tasks(played, who, wanted, views[who], exact=True)
        for who in {t.of or script.user.name for t in script.task}:
            wanted = [t for t in script.task if (t.of or script.user.name) == who]
            check_tasks(played, who, wanted, views[who], exact=False)
        projects = ProjectRepository(session)
        for p in script.projects:
            project = await projects.by_name(script.org_id, p.name, member=profiles[script.user.name].user_id)
            if project is None:
                played.fail(f"expected a project {p.name!r}")
                continue
            members = await repo.many(await projects.members(project.id))
            names = {norm(m.name or "") for m in members.values()}
            if project.name != p.name:
                played.fail(f"project named {project.name!r} (wanted {p.name!r})")
            for member in p.members:
                if norm(member) not in names:
                    played.fail(f"expected {member} among the members of {p.name}")
    for n in script.notified:
        texts = [text for user_id, text in played.notices if user_id == script.person(n.to).user_id]
        if not any(all(norm(f) in norm(text) for f in n.expect) for text in texts):
            played.fail(f"expected {n.to} to be told {list(n.expect)}; they got {texts}")
    for name in script.not_notified:
        texts = [text for user_id, text in played.notices if user_id == script.person(name).user_id]
        if texts:
            played.fail(f"expected {name} to be told nothing; they got {texts}")


async def play(agent: Agent, script: Script) -> Played:
    async with agent.runtime.db.transaction() as session:
        profiles = await meet(session, agent.settings, script, datetime(2026, 1, 1, tzinfo=UTC))
        tz = ZoneInfo(script.tz or profiles[script.user.name].timezone)
        played = Played(script, tz)
        start = local_time(script.now, tz)
        # What exists already was made an hour before the conversation starts.
        await seed(session, script, profiles, start - timedelta(hours=1))
    now = start
    for number, turn in enumerate(script.turns, start=1):
        if turn.at is not None:
            now = local_time(turn.at, tz)
        elif turn.advance is not None:
            now += turn.advance
        elif number > 1:
            now += STEP
        try:
            going_on = await play_turn(agent, played, number, turn, script.person(turn.speaker), now)
        except Exception:
            played.fail("the turn raised:\n" + traceback.format_exc())
            return played
        if not going_on:
            return played
    await check_end(agent, played, now)
    return played


def test_the_suite_covers_each_language() -> None:
    languages = Counter(s.id.split("-")[0] for s in SCRIPTS)
    assert len(SCRIPTS) >= 150
    assert languages["en"] >= 100
    assert languages["es"] >= 25
    assert languages["pt"] >= 25


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.id for s in SCRIPTS])
async def test_conversation(agent: Agent, script: Script) -> None:
    played = await play(agent, script)
    if os.environ.get("CONVERSATION_TRANSCRIPTS"):  # to read what passing conversations said, with -s
        print("\n" + played.report())
    if played.problems:
        pytest.fail(played.report(), pytrace=False)
