"""Scripted conversations: the TOML scripts under ``conversations/`` read into checked dataclasses.

A script is a WhatsApp conversation with a pinned clock and timezone: who writes (the user and,
for shared projects, teammates: one team with the user, and strangers who write to the same number
but share no team), what exists before it starts, each
message (or button press) with the key facts its reply must show, and the end state of the task
store. Keys are checked strictly, so a typo in a script (or a key that TOML attached to the table
above it) fails loudly instead of silently checking nothing.

Format (one ``[[conversation]]`` table each; times are the user's local wall clock):
  id, now, tz (pinned; else from the phone), country (GB/US/ES/MX/AR/CO/BR/PT), name,
  users = [{name, country}] teammates, strangers = [{name, country}] (same number, no team),
  given_projects = [{name, owner, members}],
  given = [{title, due, priority, status, project, assignee, owner}], no_tasks, not_notified,
  profile = {timezone, lang} (a string or the acceptable values);
  [[conversation.turn]]: say | press (a button or list row of the last reply) | react (an emoji on
  the last reply, "" takes the reaction back), from, at | advance, expect / expect_any / not_expect
  (case-insensitive substrings), silent (no reply at all), buttons, options, interactive;
  [[conversation.tasks]] the visible tasks exactly, [[conversation.task]] at least these:
  title, due ("2026-11-27", "2026-11-27T15:00", "none", or a list), priority, status ("any"),
  project, assignee ("none"), recurring, of (a teammate's view);
  [[conversation.project]] name, members; [[conversation.notified]] to, expect.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from tasklane_agent.domain.priority import Priority

SCRIPTS = Path(__file__).parent / "conversations"

# A valid mobile number prefix per country: the rest of the digits come from the script's id,
# so every conversation has its own users (and state never leaks between conversations).
PHONE_PREFIXES = {
    "GB": ("447400", 6),
    "US": ("16462", 6),
    "ES": ("346", 8),
    "MX": ("5255", 8),
    "AR": ("54911", 8),
    "CO": ("57300", 7),
    "BR": ("55119", 8),
    "PT": ("35191", 7),
}

_CONVERSATION_KEYS = {
    "id", "now", "tz", "country", "name", "users", "strangers", "given_projects", "given", "no_tasks",
    "profile", "not_notified", "turn", "tasks", "task", "project", "notified",
}  # fmt: skip
_TURN_KEYS = {"say", "press", "react", "silent", "from", "at", "advance", "expect", "expect_any",
              "not_expect", "buttons", "options", "interactive"}  # fmt: skip
_TASK_KEYS = {"title", "due", "priority", "status", "project", "assignee", "recurring", "of"}
_GIVEN_KEYS = {"title", "due", "priority", "status", "project", "assignee", "owner"}
_DURATION = re.compile(r"^(\d+)\s*([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class ScriptError(ValueError):
    pass


@dataclass(frozen=True)
class Person:
    name: str
    country: str
    phone: str
    user_id: str
    team: bool = True  # in the user's team (a stranger is not)


@dataclass(frozen=True)
class Turn:
    say: str | None
    press: str | None
    react: str | None
    speaker: str | None  # a teammate's name; None is the user
    at: datetime | None  # local wall clock in the user's timezone
    advance: timedelta | None
    expect: tuple[str, ...]
    expect_any: tuple[str, ...]
    not_expect: tuple[str, ...]
    buttons: tuple[str, ...] | None
    options: tuple[str, ...]
    interactive: bool | None
    silent: bool = False


@dataclass(frozen=True)
class GivenTask:
    title: str
    due: str | None = None  # "2026-11-27" or "2026-11-27T15:00", local
    priority: Priority = "normal"
    status: str = "open"
    project: str | None = None
    assignee: str | None = None
    owner: str | None = None


@dataclass(frozen=True)
class GivenProject:
    name: str
    owner: str | None = None
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExpectedTask:
    """A task as it must be at the end. ``None`` fields are not checked; ``due`` and ``project``
    and ``assignee`` take "none" for "must have none"; ``due`` may list acceptable values."""

    title: str
    due: tuple[str, ...] | None = None
    priority: str | None = None
    status: str | None = "open"
    project: str | None = None
    assignee: str | None = None
    recurring: bool | None = None
    of: str | None = None  # whose view (a teammate's name); None is the user's

    def differences(self, actual: dict[str, Any]) -> list[str]:
        """What differs between this expectation and ``actual`` (a task as ``describe`` shows it)."""
        problems = []
        if norm_title(self.title) != norm_title(actual["title"]):
            problems.append(f"title {actual['title']!r} (wanted {self.title!r})")
        if self.due is not None and actual["due"] not in self.due:
            problems.append(f"due {actual['due']} (wanted {' or '.join(self.due)})")
        checks = {
            "priority": self.priority,
            "status": None if self.status == "any" else self.status,
            "project": self.project,
            "assignee": self.assignee,
            "recurring": self.recurring,
        }
        for name, want in checks.items():
            got = actual[name]
            if want is None:
                continue
            same = want.casefold() == str(got).casefold() if isinstance(want, str) else want == got
            if not same:
                problems.append(f"{name} {got!r} (wanted {want!r})")
        return problems


@dataclass(frozen=True)
class ExpectedProject:
    name: str
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class Notified:
    to: str
    expect: tuple[str, ...]


@dataclass(frozen=True)
class Script:
    id: str
    source: str
    now: datetime  # naive: the user's local wall clock
    tz: str | None
    org_id: str
    user: Person
    teammates: tuple[Person, ...]
    given_projects: tuple[GivenProject, ...]
    given: tuple[GivenTask, ...]
    turns: tuple[Turn, ...]
    tasks: tuple[ExpectedTask, ...]  # exactly these, per viewer
    task: tuple[ExpectedTask, ...]  # at least these
    no_tasks: bool
    projects: tuple[ExpectedProject, ...]
    notified: tuple[Notified, ...]
    not_notified: tuple[str, ...]
    profile: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def people(self) -> dict[str, Person]:
        return {p.name: p for p in (self.user, *self.teammates)}

    def person(self, name: str | None) -> Person:
        if name is None:
            return self.user
        try:
            return self.people[name]
        except KeyError:
            raise ScriptError(f"{self.id}: nobody called {name!r} in this conversation") from None


def norm(text: str) -> str:
    """Case, spacing and WhatsApp's bold markers do not matter when looking for a key fact."""
    return " ".join(text.replace("*", "").split()).casefold()


def norm_title(title: str) -> str:
    """Titles compare by their words: case, spacing and edge punctuation or emoji aside."""
    words = norm(title)
    return re.sub(r"^[^\w#]+|[^\w)]+$", "", words)


def _digits(*parts: str, count: int) -> str:
    digest = hashlib.sha256(":".join(parts).encode()).hexdigest()
    return str(int(digest, 16))[-count:].rjust(count, "1")


def _person(script_id: str, name: str, country: str, *, team: bool = True) -> Person:
    if country not in PHONE_PREFIXES:
        raise ScriptError(f"{script_id}: unknown country {country!r} (known: {sorted(PHONE_PREFIXES)})")
    prefix, count = PHONE_PREFIXES[country]
    phone = prefix + _digits(script_id, name, "phone", count=count)
    return Person(name, country, phone, f"cv-{_digits(script_id, name, 'user', count=14)}", team)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ScriptError(f"{where}: expected a string or a list of strings, got {value!r}")
    return tuple(value)


def _keys(table: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(table) - allowed
    if unknown:
        raise ScriptError(f"{where}: unknown keys {sorted(unknown)} (allowed: {sorted(allowed)})")


def _local(value: str, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ScriptError(f"{where}: bad local time {value!r}") from exc
    if moment.tzinfo is not None:
        raise ScriptError(f"{where}: give local wall-clock times, without an offset")
    return moment


def _due(value: str, where: str) -> str:
    if value != "none":
        moment = _local(value, where)
        if "T" in value and moment.strftime("%Y-%m-%dT%H:%M") != value:
            raise ScriptError(f"{where}: timed dues are written YYYY-MM-DDTHH:MM, got {value!r}")
    return value


def _turn(raw: dict[str, Any], where: str) -> Turn:
    _keys(raw, _TURN_KEYS, where)
    if sum(key in raw for key in ("say", "press", "react")) != 1:
        raise ScriptError(f"{where}: a turn says something, presses a button or reacts to the last reply")
    advance = None
    if "advance" in raw:
        m = _DURATION.match(str(raw["advance"]))
        if m is None:
            raise ScriptError(f"{where}: advance is like '30m', '2h', '1d'")
        advance = timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
    buttons = _strings(raw["buttons"], where) if "buttons" in raw else None
    return Turn(
        say=raw.get("say"),
        press=raw.get("press"),
        react=raw.get("react"),
        speaker=raw.get("from"),
        at=_local(raw["at"], where) if "at" in raw else None,
        advance=advance,
        expect=_strings(raw.get("expect", []), where),
        expect_any=_strings(raw.get("expect_any", []), where),
        not_expect=_strings(raw.get("not_expect", []), where),
        buttons=buttons,
        options=_strings(raw.get("options", []), where),
        interactive=raw.get("interactive"),
        silent=bool(raw.get("silent", False)),
    )


def _expected(raw: dict[str, Any], where: str) -> ExpectedTask:
    _keys(raw, _TASK_KEYS, where)
    due = tuple(_due(d, where) for d in _strings(raw["due"], where)) if "due" in raw else None
    return ExpectedTask(
        title=raw["title"],
        due=due,
        priority=raw.get("priority"),
        status=raw.get("status", "open"),
        project=raw.get("project"),
        assignee=raw.get("assignee"),
        recurring=raw.get("recurring"),
        of=raw.get("of"),
    )


def parse(raw: dict[str, Any], source: str) -> Script:
    sid = raw.get("id")
    if not isinstance(sid, str) or not sid:
        raise ScriptError(f"{source}: a conversation without an id")
    where = f"{source}:{sid}"
    _keys(raw, _CONVERSATION_KEYS, where)
    country = raw.get("country", "GB")
    user = _person(sid, raw.get("name", "Ana"), country)
    teammates = []
    for mate in raw.get("users", []):
        _keys(mate, {"name", "country"}, f"{where} users")
        teammates.append(_person(sid, mate["name"], mate.get("country", country)))
    for other in raw.get("strangers", []):
        _keys(other, {"name", "country"}, f"{where} strangers")
        teammates.append(_person(sid, other["name"], other.get("country", country), team=False))
    given = []
    for g in raw.get("given", []):
        _keys(g, _GIVEN_KEYS, f"{where} given")
        if "due" in g:
            _due(g["due"], f"{where} given")
        if g.get("priority", "normal") not in ("low", "normal", "high"):
            raise ScriptError(f"{where} given: priority is low, normal or high")
        if g.get("status", "open") not in ("open", "done"):
            raise ScriptError(f"{where} given: status is open or done")
        given.append(GivenTask(**{**g, "priority": cast(Priority, g.get("priority", "normal"))}))
    projects = []
    for p in raw.get("given_projects", []):
        _keys(p, {"name", "owner", "members"}, f"{where} given_projects")
        projects.append(GivenProject(p["name"], p.get("owner"), tuple(p.get("members", []))))
    for p in raw.get("project", []):
        _keys(p, {"name", "members"}, f"{where} project")
    for n in raw.get("notified", []):
        _keys(n, {"to", "expect"}, f"{where} notified")
    profile = raw.get("profile", {})
    _keys(profile, {"timezone", "lang"}, f"{where} profile")
    script = Script(
        id=sid,
        source=source,
        now=_local(raw["now"], where),
        tz=raw.get("tz"),
        org_id="9" + _digits(sid, "org", count=14),
        user=user,
        teammates=tuple(teammates),
        given_projects=tuple(projects),
        given=tuple(given),
        turns=tuple(_turn(t, f"{where} turn {n + 1}") for n, t in enumerate(raw.get("turn", []))),
        tasks=tuple(_expected(t, f"{where} tasks") for t in raw.get("tasks", [])),
        task=tuple(_expected(t, f"{where} task") for t in raw.get("task", [])),
        no_tasks=bool(raw.get("no_tasks", False)),
        projects=tuple(
            ExpectedProject(p["name"], tuple(p.get("members", []))) for p in raw.get("project", [])
        ),
        notified=tuple(Notified(n["to"], _strings(n["expect"], where)) for n in raw.get("notified", [])),
        not_notified=_strings(raw.get("not_notified", []), where),
        profile={k: _strings(v, where) for k, v in profile.items()},
    )
    if not script.turns:
        raise ScriptError(f"{where}: a conversation needs at least one turn")
    for name in [t.speaker for t in script.turns] + [t.of for t in (*script.tasks, *script.task)]:
        script.person(name)
    for name in [n.to for n in script.notified] + list(script.not_notified):
        script.person(name)
    return script


def load_scripts(directory: Path = SCRIPTS, pattern: str = "*.toml") -> list[Script]:
    """The conversations of ``directory``'s files matching ``pattern`` ("en_*.toml": one language)."""
    scripts: list[Script] = []
    for path in sorted(directory.glob(pattern)):
        with path.open("rb") as f:
            data = tomllib.load(f)
        _keys(data, {"conversation"}, path.name)
        scripts.extend(parse(raw, path.name) for raw in data["conversation"])
    seen: dict[str, str] = {}
    phones: dict[str, str] = {}
    for s in scripts:
        if s.id in seen:
            raise ScriptError(f"conversation id {s.id!r} in both {seen[s.id]} and {s.source}")
        seen[s.id] = s.source
        for person in s.people.values():
            if phones.setdefault(person.phone, s.id) != s.id:
                raise ScriptError(f"{s.id}: phone {person.phone} collides with {phones[person.phone]}")
    return scripts
