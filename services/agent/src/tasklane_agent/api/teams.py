"""``/api/v1/teams``: who may work together on a number, as an admin decides it.

Users of one business number are strangers until they share a team. Teams are made here (an
admin's, named) or grow from a user's accepted invitations on WhatsApp (``kind`` invite). Reading
them takes an operator key, changing them an admin one: they decide who can reach whom.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from tasklane_agent.api.errors import documented
from tasklane_agent.api.params import Limit, Offset, OrgFilter, TeamId, UserId
from tasklane_agent.api.schemas import ID_MAX, MemberOut, _Body
from tasklane_agent.api.unit import Units
from tasklane_agent.storage.teams import Team
from tasklane_common.paging import Page


class TeamCreate(_Body):
    org_id: str = Field(min_length=1, max_length=ID_MAX, description="The business phone number id.")
    name: str = Field(
        min_length=1, max_length=200, description="Unique on the number (case and accents aside)."
    )


class TeamOut(BaseModel):
    id: str
    org_id: str
    kind: str = Field(description="admin: made here; invite: a user's team, grown by accepted invitations.")
    name: str | None
    owner_id: str | None = Field(description="Whose invitations grew it (invite teams).")
    members: list[MemberOut]

    @classmethod
    def of(cls, team: Team, members: list[MemberOut]) -> TeamOut:
        return cls(
            id=team.id,
            org_id=team.org_id,
            kind=team.kind,
            name=team.name,
            owner_id=team.owner_id,
            members=members,
        )


class TeamPage(Page[TeamOut]):
    """A page of teams (docs/api.md)."""


class TeamMembership(BaseModel):
    team_id: str
    user_id: str
    member: bool
    changed: bool = Field(description="False when the user already was (or was not) a member.")


def location(team_id: str) -> str:
    return f"/api/v1/teams/{team_id}"


def teams_router(units: Units, operator: Any, admin: Any, route_class: Any) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["teams"], route_class=route_class)

    async def _out(ws: Any, team: Team) -> TeamOut:
        ids = await ws.core.store.teams.member_ids(team.id)
        profiles = await ws.core.store.profiles.many(ids)
        return TeamOut.of(
            team,
            [MemberOut.of(profiles[i]) if i in profiles else MemberOut(user_id=i, name=None) for i in ids],
        )

    @api.get("/teams", summary="List teams", response_model=TeamPage, dependencies=[operator],
             responses=documented(422))  # fmt: skip
    async def list_teams(org_id: OrgFilter = None, limit: Limit = 50, offset: Offset = 0) -> TeamPage:
        async with units.read(org_id) as ws:
            found, total = await ws.core.store.teams.page(org_id, limit=limit, offset=offset)
            items = [await _out(ws, team) for team in found]
        return TeamPage(items=items, total=total, limit=limit, offset=offset)

    @api.post("/teams", summary="Create a team", status_code=201, response_model=TeamOut,
              dependencies=[admin], responses=documented(409, 422))  # fmt: skip
    async def create_team(body: TeamCreate, response: Response) -> TeamOut:
        async with units.change() as work:
            team = await work.workspace(body.org_id).teams.create_team(body.org_id, body.name)
        response.headers["Location"] = location(team.id)
        return TeamOut.of(team, [])

    @api.get("/teams/{team_id}", summary="Get a team and its members", response_model=TeamOut,
             dependencies=[operator], responses=documented(404))  # fmt: skip
    async def get_team(team_id: TeamId) -> TeamOut:
        async with units.read() as ws:
            return await _out(ws, await ws.teams.team(team_id))

    @api.delete("/teams/{team_id}", summary="Delete a team", status_code=204, dependencies=[admin],
                responses=documented(404))  # fmt: skip
    async def delete_team(team_id: TeamId) -> Response:
        """Its members stop being teammates; tasks assigned across the ties that end are unassigned."""
        async with units.change() as work:
            await work.workspace().teams.delete_team(team_id)
        return Response(status_code=204)

    @api.put("/teams/{team_id}/members/{user_id}", summary="Add a member", response_model=TeamMembership,
             dependencies=[admin], responses=documented(404, 409))  # fmt: skip
    async def add_member(team_id: TeamId, user_id: UserId) -> TeamMembership:
        """A user who has not written to the number yet may be added; one of another number not (409)."""
        async with units.change() as work:
            changed = await work.workspace().teams.add_team_member(team_id, user_id)
        return TeamMembership(team_id=team_id, user_id=user_id, member=True, changed=changed)

    @api.delete("/teams/{team_id}/members/{user_id}", summary="Remove a member",
                response_model=TeamMembership, dependencies=[admin], responses=documented(404))  # fmt: skip
    async def remove_member(team_id: TeamId, user_id: UserId) -> TeamMembership:
        """Tasks assigned between the user and those who are no longer their teammates are unassigned."""
        async with units.change() as work:
            changed = await work.workspace().teams.remove_team_member(team_id, user_id)
        return TeamMembership(team_id=team_id, user_id=user_id, member=False, changed=changed)

    return api
