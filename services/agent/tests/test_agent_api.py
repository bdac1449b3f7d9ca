"""The agent's REST API (/api/v1) on the real PostgreSQL and RabbitMQ: tasks and projects created,
filtered and changed through the same workspace as WhatsApp messages, with their events leaving
through the outbox."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aio_pika
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tasklane_agent.app import create_app
from tasklane_agent.settings import AgentSettings
from tasklane_agent.storage.profiles import ProfileRepository
from tasklane_agent.storage.tables import reminders, tasks
from tasklane_agent.storage.teams import TeamRepository
from tasklane_common.auth import hash_key, new_key
from tasklane_common.messaging import Envelope, deterministic_id
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.settings import ApiKey, AuthSettings, Role
from tasklane_common.testing import amqp_url, cleanup_run, new_run_id, real_settings, running

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday; 09:00 in São Paulo
OPERATOR = new_key()
AUTH = AuthSettings(api_keys=[ApiKey(name="ops-bot", role=Role.OPERATOR, sha256=hash_key(OPERATOR))])


@dataclass
class Api:
    app: FastAPI
    http: httpx.AsyncClient
    run_id: str
    channel: aio_pika.abc.AbstractChannel

    @property
    def runtime(self) -> ServiceRuntime:
        runtime: ServiceRuntime = self.app.state.runtime
        return runtime

    async def user(self, org: str, name: str, phone: str, *, team: bool = True) -> str:
        """A profile, as the first WhatsApp message makes it (a +55 number: São Paulo, UTC-3), in
        the number's one team (made by an admin) unless ``team`` is False."""
        user_id = f"user-{uuid.uuid4().hex[:8]}"
        async with self.runtime.db.transaction() as session:
            await ProfileRepository(session).meet(
                user_id=user_id, org_id=org, address=phone, name=name, default_timezone="UTC", now=NOW
            )
            if team:
                teams = TeamRepository(session)
                team_id = deterministic_id("test-team", org)
                if await teams.get(team_id) is None:
                    await teams.create_admin_team(team_id, org, f"Team of {org}", NOW)
                await teams.join(team_id, user_id, NOW)
        return user_id

    async def task(self, owner: str, title: str, **fields: Any) -> dict[str, Any]:
        response = await self.http.post("/api/v1/tasks", json={"user_id": owner, "title": title, **fields})
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def ids(self, **params: Any) -> list[str]:
        response = await self.http.get("/api/v1/tasks", params=params)
        assert response.status_code == 200, response.text
        return [t["id"] for t in response.json()["items"]]

    async def events(self, *, about: set[str], count: int, queue: str = "analytics.events") -> list[Envelope]:
        """The next ``count`` events on ``queue`` whose payload names one of ``about``."""
        amqp_queue = await self.channel.get_queue(f"{self.run_id}.{queue}", ensure=False)
        found: list[Envelope] = []

        async def arrived() -> bool:
            while (message := await amqp_queue.get(no_ack=True, fail=False)) is not None:
                envelope = Envelope.from_bytes(message.body)
                # The audit trail's events (audit.recorded) name the same ids: not domain events.
                if envelope.type != "audit.recorded" and about & {str(v) for v in envelope.payload.values()}:
                    found.append(envelope)
            return len(found) >= count

        await eventually(arrived)
        return found


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 10.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while not (result := await check()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)
    return result


@pytest.fixture(scope="module")
async def api() -> AsyncIterator[Api]:
    run_id = new_run_id()
    app = create_app(real_settings(AgentSettings, run_id, "agent", auth=AUTH), clock=lambda: NOW)
    try:
        async with running(app):
            transport = httpx.ASGITransport(app=app)
            headers = {"Authorization": f"Bearer {OPERATOR}"}
            async with (
                httpx.AsyncClient(transport=transport, base_url="http://agent", headers=headers) as http,
                await aio_pika.connect(amqp_url()) as connection,
            ):
                yield Api(app, http, run_id, await connection.channel())
    finally:
        await cleanup_run(run_id)


def org() -> str:
    return f"org-{uuid.uuid4().hex[:8]}"


# ------------------------------------------------------------------ tasks


async def test_a_task_goes_through_create_read_change_and_delete(api: Api) -> None:
    ana = await api.user(org(), "Ana", "5511990000001")
    created = await api.http.post(
        "/api/v1/tasks",
        json={"user_id": ana, "title": "  Send the   invoices ", "priority": "high",
              "due_at": "2026-11-27T15:00:00-03:00"},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    task = created.json()
    assert created.headers["location"] == f"/api/v1/tasks/{task['id']}"
    assert (task["title"], task["priority"], task["status"], task["user_id"]) == (
        "Send the invoices", "high", "open", ana,
    )  # fmt: skip
    assert datetime.fromisoformat(task["due_at"]) == datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    assert task["due_has_time"] is True
    assert task["org_id"] is not None
    assert task["overdue"] is False

    fetched = await api.http.get(created.headers["location"])
    assert fetched.json() == task

    # A date-only deadline: the day written (in the offset it was written in), stored as that
    # calendar day (00:00 UTC), the same day for every viewer whatever their timezone.
    changed = await api.http.patch(
        f"/api/v1/tasks/{task['id']}",
        json={"title": "Send all invoices", "priority": "low", "due_at": "2026-11-30T23:30:00-03:00",
              "due_has_time": False},
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["title"], body["priority"], body["due_has_time"]) == ("Send all invoices", "low", False)
    assert datetime.fromisoformat(body["due_at"]) == datetime(2026, 11, 30, 0, 0, tzinfo=UTC)

    cleared = (await api.http.patch(f"/api/v1/tasks/{task['id']}", json={"due_at": None})).json()
    assert (cleared["due_at"], cleared["due_has_time"], cleared["title"]) == (
        None,
        False,
        "Send all invoices",
    )

    done = (await api.http.patch(f"/api/v1/tasks/{task['id']}", json={"status": "done"})).json()
    assert done["status"] == "done"
    assert done["completed_at"] is not None
    reopened = await api.http.post(f"/api/v1/tasks/{task['id']}/reopen")
    assert reopened.json()["status"] == "open"
    assert reopened.json()["completed_at"] is None

    deleted = await api.http.delete(f"/api/v1/tasks/{task['id']}")
    assert deleted.status_code == 204
    assert (await api.http.get(f"/api/v1/tasks/{task['id']}")).status_code == 404
    assert (await api.http.delete(f"/api/v1/tasks/{task['id']}")).status_code == 404
    assert (await api.http.post(f"/api/v1/tasks/{task['id']}/complete")).status_code == 404


async def test_bad_input_is_refused_with_a_clear_message(api: Api) -> None:
    ana = await api.user(org(), "Ana", "5511990000002")
    stranger = await api.user(org(), "Zed", "5511990000003")
    [foreign_project] = [
        (await api.http.post("/api/v1/projects", json={"owner_id": stranger, "name": "Theirs"})).json()["id"]
    ]
    task = await api.task(ana, "Water the plants")
    url = f"/api/v1/tasks/{task['id']}"
    create = "/api/v1/tasks"
    cases: list[tuple[str, str, dict[str, Any] | None, int, str]] = [
        ("POST", create, {"user_id": "nobody", "title": "x"}, 404, "no user"),
        ("POST", create, {"user_id": ana, "title": "x", "priority": "urgent"}, 422, "priority"),
        ("POST", create, {"user_id": ana, "title": "x", "due_at": "2026-11-27T15:00:00"}, 422, "timezone"),
        ("POST", create, {"user_id": ana, "title": "x", "recurrence": "every day"}, 422, "recurrence"),
        ("POST", create, {"user_id": ana, "title": "   "}, 422, "title"),
        ("POST", create, {"user_id": ana, "title": "x", "due_date": "2026-11-27"}, 422, "due_date"),
        ("POST", create, {"user_id": ana, "title": "x", "project_id": foreign_project}, 404, "project"),
        ("POST", create, {"user_id": ana, "title": "x", "assignee_id": stranger}, 404, "teammate"),
        ("PATCH", url, {"title": None}, 422, "cannot be null"),
        ("PATCH", url, {"status": "archived"}, 422, "status"),
        ("PATCH", url, {"recurrence": "FREQ=DAILY;INTERVAL=1", "due_at": None}, 422, "repeating"),
        ("PATCH", url, {"project_id": foreign_project}, 404, "project"),
        ("GET", f"{create}?limit=500", None, 422, "limit"),
        ("GET", f"{create}?due_after=2026-11-27", None, 422, "due_after"),
        (
            "GET",
            f"{create}?due_after=2026-11-27T00:00:00Z&due_before=2026-11-26T00:00:00Z",
            None,
            422,
            "before",
        ),
        ("GET", f"{create}?status=closed", None, 422, "status"),
        # What the database would refuse with an error (a NUL) or zones overflow on (year 1).
        ("POST", create, {"user_id": ana, "title": "a\u0000b"}, 422, "NUL"),
        ("POST", create, {"user_id": ana, "title": "x", "due_at": "0001-01-01T00:00:00+05:00"}, 422, "1970"),
        ("GET", "/api/v1/tasks/%00", None, 422, "task_id"),
    ]
    failures = []
    for method, path, body, status, says in cases:
        response = await api.http.request(method, path, json=body)
        if response.status_code != status or says not in response.text:
            failures.append(f"{method} {path} {body} -> {response.status_code} {response.text}")
    assert not failures, "\n".join(failures)
    assert (await api.http.post("/api/v1/tasks", content=b"{not json")).status_code == 422
    # Nothing above changed the task.
    assert (await api.http.get(url)).json() == task
    assert (await api.ids(user_id=ana, status="all")) == [task["id"]]


async def test_filters_find_overdue_dated_prioritised_and_project_tasks(api: Api) -> None:
    here = org()
    ana, bia = await api.user(here, "Ana", "5511990000011"), await api.user(here, "Bia", "5511990000012")
    project = (await api.http.post("/api/v1/projects", json={"owner_id": ana, "name": "Launch"})).json()
    late = await api.task(ana, "Pay the rent", due_at="2026-11-25T11:00:00Z")
    # Date-only, yesterday in São Paulo: that day is over, so overdue; today's is not yet.
    yesterday = await api.task(ana, "Call the bank", due_at="2026-11-24T10:00:00-03:00", due_has_time=False)
    today = await api.task(ana, "Buy milk", due_at="2026-11-25T10:00:00-03:00", due_has_time=False)
    friday = await api.task(ana, "Quarterly report draft", priority="high", due_at="2026-11-27T18:00:00Z",
                            project_id=project["id"], assignee_id=bia)  # fmt: skip
    undated = await api.task(bia, "Read the quarterly numbers")
    done = await api.task(ana, "Old chore")
    await api.http.post(f"/api/v1/tasks/{done['id']}/complete")

    assert await api.ids(org_id=here, overdue="true") == [yesterday["id"], late["id"]]
    assert set(await api.ids(org_id=here, overdue="false")) == {today["id"], friday["id"], undated["id"]}
    assert (await api.http.get(f"/api/v1/tasks/{late['id']}")).json()["overdue"] is True
    # "+00:00" reaches the server as %2B00:00: an offset, not a space.
    window = {"due_after": "2026-11-25T00:00:00Z", "due_before": "2026-11-28T00:00:00+00:00"}
    assert await api.ids(org_id=here, **window) == [today["id"], late["id"], friday["id"]]
    assert await api.ids(project_id=project["id"]) == [friday["id"]]
    assert await api.ids(org_id=here, priority="high") == [friday["id"]]
    assert await api.ids(org_id=here, q="QUARTERLY") == [friday["id"], undated["id"]]
    assert await api.ids(org_id=here, q="quarterly draft") == [friday["id"]]
    assert await api.ids(assignee_id=bia) == [friday["id"]]
    assert await api.ids(user_id=bia) == [undated["id"]]
    assert await api.ids(org_id=here, status="done") == [done["id"]]
    assert len(await api.ids(org_id=here, status="all")) == 6
    assert await api.ids(org_id=org()) == []

    page = (await api.http.get("/api/v1/tasks", params={"org_id": here, "limit": 2, "offset": 1})).json()
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (5, 2, 1, 2)
    assert [t["id"] for t in page["items"]] == [today["id"], late["id"]]


async def test_completing_a_repeating_task_creates_its_next_occurrence(api: Api) -> None:
    ana = await api.user(org(), "Ana", "5511990000021")
    # Friday 09:00 in São Paulo, every week: anchored on Fridays.
    weekly = await api.task(ana, "Team sync", due_at="2026-11-27T09:00:00-03:00", recurrence="freq=weekly")
    assert weekly["recurrence"] == "FREQ=WEEKLY;INTERVAL=1;BYDAY=FR"

    completed = await api.http.post(f"/api/v1/tasks/{weekly['id']}/complete")
    assert completed.status_code == 200, completed.text
    body = completed.json()
    assert body["task"]["status"] == "done"
    following = body["next_task"]
    assert following["status"] == "open"
    assert following["title"] == "Team sync"
    assert datetime.fromisoformat(following["due_at"]) == datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    assert following["recurrence"] == weekly["recurrence"]
    assert await api.ids(user_id=ana) == [following["id"]]
    # Completing it again changes nothing and makes no third task.
    again = (await api.http.post(f"/api/v1/tasks/{weekly['id']}/complete")).json()
    assert again["next_task"] is None

    # Without a due date the rule's first occurrence from now is the deadline: Monday 09:00.
    monday = await api.task(ana, "Standup", recurrence="FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;AT=09:00")
    assert datetime.fromisoformat(monday["due_at"]) == datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert monday["due_has_time"] is True


async def test_changes_publish_their_events_and_plan_reminders(api: Api) -> None:
    here = org()
    ana, bia = await api.user(here, "Ana", "5511990000031"), await api.user(here, "Bia", "5511990000032")
    task = await api.task(ana, "Prepare the demo", due_at="2026-11-26T15:00:00Z")
    await api.http.patch(f"/api/v1/tasks/{task['id']}", json={"assignee_id": bia, "priority": "high"})
    await api.http.post(f"/api/v1/tasks/{task['id']}/complete")
    await api.http.delete(f"/api/v1/tasks/{task['id']}")

    events = await api.events(about={task["id"]}, count=4)
    assert [e.type for e in events] == ["task.created", "task.updated", "task.completed", "task.deleted"]
    assert {e.producer for e in events} == {"agent"}
    assert events[1].payload["changes"] == {"priority": "high", "assignee_id": bia}
    assert events[1].payload["actor_id"] is None  # an admin, not a user

    # Bia is told on WhatsApp, in her language, at her number.
    [notice] = await api.events(about={bia}, count=1, queue="sender.replies")
    assert notice.type == "reply.requested"
    assert notice.payload["to"] == "5511990000032"
    assert "Prepare the demo" in notice.payload["content"]["body"]

    # Reminders follow the task: planned when created, cancelled once it was done.
    later = await api.task(ana, "Renew the domain", due_at="2026-11-26T15:00:00Z")
    async with api.runtime.db.read() as session:
        rows = (
            await session.execute(select(reminders).where(reminders.c.task_id.in_([task["id"], later["id"]])))
        ).all()
    assert {(r.task_id, r.status) for r in rows} >= {(later["id"], "pending"), (task["id"], "cancelled")}


async def test_an_idempotency_key_creates_one_task_whatever_the_retries(api: Api) -> None:
    ana, bia = (
        await api.user(here := org(), "Ana", "5511990000041"),
        await api.user(org(), "Bia", "5511990000042"),
    )
    key = {"Idempotency-Key": f"order-{uuid.uuid4()}"}
    request = {"user_id": ana, "title": "Ship order 42"}
    first = await api.http.post("/api/v1/tasks", json=request, headers=key)
    retry = await api.http.post("/api/v1/tasks", json=request, headers=key)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json()["id"] == first.json()["id"]
    assert retry.headers["location"] == first.headers["location"]
    assert retry.headers["idempotent-replayed"] == "true"
    assert await api.ids(user_id=ana) == [first.json()["id"]]

    other = await api.http.post("/api/v1/tasks", json=request, headers={"Idempotency-Key": "another"})
    assert other.status_code == 201
    assert other.json()["id"] != first.json()["id"]
    assert (await api.http.post("/api/v1/tasks", json=request)).json()["id"] != other.json()["id"]

    misused = await api.http.post("/api/v1/tasks", json={"user_id": bia, "title": "x"}, headers=key)
    assert misused.status_code == 409
    await api.http.delete(first.headers["location"])
    gone = await api.http.post("/api/v1/tasks", json=request, headers=key)
    assert gone.status_code == 409
    assert "deleted" in gone.json()["detail"]
    async with api.runtime.db.read() as session:
        made = (await session.execute(select(tasks.c.id).where(tasks.c.org_id == here))).all()
    assert len(made) == 3


# ------------------------------------------------------------------ projects


async def test_projects_with_progress_members_renaming_and_deletion(api: Api) -> None:
    here = org()
    ana, bia = await api.user(here, "Ana", "5511990000051"), await api.user(here, "Bia", "5511990000052")
    outsider = await api.user(org(), "Zed", "5511990000053")
    created = await api.http.post("/api/v1/projects", json={"owner_id": ana, "name": "Website Relaunch"})
    assert created.status_code == 201, created.text
    project = created.json()
    url = created.headers["location"]
    assert url == f"/api/v1/projects/{project['id']}"
    assert (project["org_id"], project["owner_id"]) == (here, ana)

    duplicate = await api.http.post("/api/v1/projects", json={"owner_id": ana, "name": "website  relaunch"})
    assert duplicate.status_code == 409
    # Another user's name is not taken for Bia: whether Ana has such a project must not show.
    own = await api.http.post("/api/v1/projects", json={"owner_id": bia, "name": "Website Relaunch"})
    assert own.status_code == 201, own.text
    assert (await api.http.delete(own.headers["location"])).status_code == 200
    wrong_org = await api.http.post("/api/v1/projects", json={"owner_id": ana, "org_id": org(), "name": "X"})
    assert wrong_org.status_code == 404

    added = await api.http.post(f"{url}/members/{bia}")
    assert added.json() == {"project_id": project["id"], "user_id": bia, "member": True, "changed": True}
    assert (await api.http.post(f"{url}/members/{bia}")).json()["changed"] is False
    assert (await api.http.post(f"{url}/members/{outsider}")).status_code == 404
    assert (await api.http.post(f"{url}/members/nobody")).status_code == 404

    link = {"project_id": project["id"]}
    late = await api.task(ana, "Fix the footer", due_at="2026-11-24T12:00:00Z", **link)
    soon = await api.task(bia, "Write the copy", due_at="2026-11-26T12:00:00Z", **link)
    finished = await api.task(ana, "Pick the fonts", **link)
    await api.http.post(f"/api/v1/tasks/{finished['id']}/complete")

    detail = (await api.http.get(url)).json()
    progress = detail["progress"]
    assert (progress["done"], progress["open"], progress["overdue"]) == (1, 2, 1)
    assert progress["next_due"]["id"] == soon["id"]
    assert {m["user_id"] for m in progress["members"]} == {ana, bia}
    assert all(set(m) == {"user_id", "name"} for m in progress["members"])  # never an address

    listed = (await api.http.get("/api/v1/projects", params={"org_id": here, "member": bia})).json()
    assert ([p["id"] for p in listed["items"]], listed["total"]) == ([project["id"]], 1)
    assert (await api.http.get("/api/v1/projects", params={"org_id": here, "member": outsider})).json()[
        "total"
    ] == 0

    # Names are unique among the owner's projects (another user's names are not theirs to learn).
    other = (await api.http.post("/api/v1/projects", json={"owner_id": ana, "name": "Hiring"})).json()
    assert (await api.http.patch(url, json={"name": "HIRING"})).status_code == 409
    renamed = await api.http.patch(url, json={"name": "Website Relaunch 2027"})
    assert renamed.json()["name"] == "Website Relaunch 2027"
    assert (await api.http.get("/api/v1/projects", params={"org_id": here})).json()["total"] == 2

    assert (await api.http.delete(f"{url}/members/{ana}")).status_code == 409  # the owner stays
    removed = await api.http.delete(f"{url}/members/{bia}")
    assert removed.json() == {"project_id": project["id"], "user_id": bia, "member": False, "changed": True}

    refused = await api.http.delete(url)
    assert refused.status_code == 409
    assert "open task" in refused.json()["detail"]
    deleted = await api.http.delete(url, params={"unlink_open": "true"})
    assert deleted.status_code == 200
    assert set(deleted.json()["unlinked_task_ids"]) == {late["id"], soon["id"], finished["id"]}
    assert (await api.http.get(url)).status_code == 404
    kept = (await api.http.get(f"/api/v1/tasks/{soon['id']}")).json()
    assert (kept["project_id"], kept["status"]) == (None, "open")
    # An empty project goes without asking.
    assert (await api.http.delete(f"/api/v1/projects/{other['id']}")).json()["unlinked_task_ids"] == []


async def test_the_openapi_document_describes_every_route(api: Api) -> None:
    document = (await api.http.get("/openapi.json")).json()
    # The agent's own API; its dead letters (/api/v1/agent/dead-letters) are every service's.
    paths = {
        path: ops
        for path, ops in document["paths"].items()
        if path.startswith("/api/v1/") and not path.startswith("/api/v1/agent/")
    }
    expected = {
        "/api/v1/tasks": {"get", "post"},
        "/api/v1/tasks/{task_id}": {"get", "patch", "delete"},
        "/api/v1/tasks/{task_id}/complete": {"post"},
        "/api/v1/tasks/{task_id}/reopen": {"post"},
        "/api/v1/projects": {"get", "post"},
        "/api/v1/projects/{project_id}": {"get", "patch", "delete"},
        "/api/v1/projects/{project_id}/members/{user_id}": {"post", "delete"},
        "/api/v1/teams": {"get", "post"},
        "/api/v1/teams/{team_id}": {"get", "delete"},
        "/api/v1/teams/{team_id}/members/{user_id}": {"put", "delete"},
    }
    assert {path: set(ops) for path, ops in paths.items()} == expected
    for path, ops in paths.items():
        for method, op in ops.items():
            where = f"{method.upper()} {path}"
            assert op["tags"] in (["tasks"], ["projects"], ["teams"]), where
            assert op.get("summary"), where
            assert {"401", "403"} <= set(op["responses"]), where
            assert op.get("security"), where
    create = paths["/api/v1/tasks"]["post"]
    assert {"200", "201", "404", "409", "422"} <= set(create["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
