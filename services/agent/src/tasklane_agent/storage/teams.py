"""Who may work together: teams, their members and the invitations that grow them.

Two users are teammates when they are members of one team. Nothing else makes them so: writing
to the same business number does not. A team is made by an admin (``kind`` admin, through the
teams API) or is a member's personal team (``kind`` invite, one per user and number, made by their
first invitation), which others join by accepting an invitation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from tasklane_agent.domain.names import name_key
from tasklane_agent.storage.tables import team_invites, team_members, teams
from tasklane_common.db.dialect import upsert_insert
from tasklane_common.messaging import deterministic_id

TeamKind = Literal["admin", "invite"]
InviteStatus = Literal["pending", "accepted", "declined"]


@dataclass(frozen=True)
class Team:
    id: str
    org_id: str
    kind: TeamKind
    name: str | None
    owner_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class Invite:
    id: str
    team_id: str
    org_id: str
    inviter_id: str
    address: str
    invitee_id: str | None
    status: InviteStatus
    asked_at: datetime | None
    created_at: datetime


def _team(row: Any) -> Team:
    return Team(row.id, row.org_id, row.kind, row.name, row.owner_id, row.created_at)


def _invite(row: Any) -> Invite:
    return Invite(
        row.id,
        row.team_id,
        row.org_id,
        row.inviter_id,
        row.address,
        row.invitee_id,
        row.status,
        row.asked_at,
        row.created_at,
    )


def personal_team_id(org_id: str, owner_id: str) -> str:
    return deterministic_id("team", org_id, owner_id)


def invite_id(team_id: str, address: str) -> str:
    # One invitation per team and number: asking again finds it (and a "no" stays a "no").
    return deterministic_id("team-invite", team_id, address)


class TeamRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ------------------------------------------------------------------ membership

    async def teammate_ids(self, user_id: str) -> set[str]:
        """Everyone who shares a team with ``user_id`` (not themselves)."""
        mine, theirs = aliased(team_members), aliased(team_members)
        rows = await self.session.execute(
            select(theirs.c.user_id)
            .distinct()
            .join(mine, mine.c.team_id == theirs.c.team_id)
            .where(mine.c.user_id == user_id, theirs.c.user_id != user_id)
        )
        return {r.user_id for r in rows}

    async def share_team(self, a: str, b: str) -> bool:
        if a == b:
            return True
        mine, theirs = aliased(team_members), aliased(team_members)
        found = await self.session.execute(
            select(mine.c.team_id)
            .join(theirs, and_(theirs.c.team_id == mine.c.team_id, theirs.c.user_id == b))
            .where(mine.c.user_id == a)
            .limit(1)
        )
        return found.first() is not None

    async def join(self, team_id: str, user_id: str, now: datetime) -> bool:
        """True when ``user_id`` was not a member yet."""
        insert = upsert_insert(self.session, team_members).values(
            team_id=team_id, user_id=user_id, joined_at=now.astimezone(UTC)
        )
        result = await self.session.execute(
            insert.on_conflict_do_nothing(index_elements=["team_id", "user_id"])
        )
        return bool(getattr(result, "rowcount", 0))

    async def remove(self, team_id: str, user_id: str) -> bool:
        result = await self.session.execute(
            delete(team_members).where(team_members.c.team_id == team_id, team_members.c.user_id == user_id)
        )
        return bool(getattr(result, "rowcount", 0))

    async def teams_of(self, user_id: str) -> list[Team]:
        rows = await self.session.execute(
            select(teams)
            .join(team_members, team_members.c.team_id == teams.c.id)
            .where(team_members.c.user_id == user_id)
            .order_by(teams.c.created_at, teams.c.id)
        )
        return [_team(r) for r in rows]

    async def member_ids(self, team_id: str) -> list[str]:
        rows = await self.session.execute(
            select(team_members.c.user_id)
            .where(team_members.c.team_id == team_id)
            .order_by(team_members.c.joined_at, team_members.c.user_id)
        )
        return [r.user_id for r in rows]

    # ------------------------------------------------------------------ teams

    async def get(self, team_id: str) -> Team | None:
        row = (await self.session.execute(select(teams).where(teams.c.id == team_id))).first()
        return _team(row) if row is not None else None

    async def personal_team(self, org_id: str, owner_id: str, now: datetime) -> Team:
        """The owner's invitation team on ``org_id``, made (with them in it) the first time."""
        team_id = personal_team_id(org_id, owner_id)
        at = now.astimezone(UTC)
        insert = upsert_insert(self.session, teams).values(
            id=team_id, org_id=org_id, kind="invite", owner_id=owner_id, created_at=at, updated_at=at
        )
        await self.session.execute(insert.on_conflict_do_nothing(index_elements=["id"]))
        await self.join(team_id, owner_id, now)
        team = await self.get(team_id)
        assert team is not None
        return team

    async def create_admin_team(self, team_id: str, org_id: str, name: str, now: datetime) -> Team | None:
        """None when the number has a team of that name already."""
        key = name_key(name)
        taken = await self.session.execute(
            select(teams.c.id).where(teams.c.org_id == org_id, teams.c.name_key == key)
        )
        if taken.first() is not None:
            return None
        at = now.astimezone(UTC)
        await self.session.execute(
            teams.insert().values(
                id=team_id, org_id=org_id, kind="admin", name=name, name_key=key, created_at=at, updated_at=at
            )
        )
        return Team(team_id, org_id, "admin", name, None, at)

    async def page(self, org_id: str | None, *, limit: int, offset: int) -> tuple[list[Team], int]:
        query = select(teams)
        counted = select(func.count()).select_from(teams)
        if org_id is not None:
            query = query.where(teams.c.org_id == org_id)
            counted = counted.where(teams.c.org_id == org_id)
        rows = await self.session.execute(
            query.order_by(teams.c.created_at, teams.c.id).limit(limit).offset(offset)
        )
        return [_team(r) for r in rows], int((await self.session.execute(counted)).scalar_one())

    async def delete_team(self, team_id: str) -> None:
        await self.session.execute(delete(team_members).where(team_members.c.team_id == team_id))
        await self.session.execute(
            update(team_invites)
            .where(team_invites.c.team_id == team_id, team_invites.c.status == "pending")
            .values(status="declined")
        )
        await self.session.execute(delete(teams).where(teams.c.id == team_id))

    # ------------------------------------------------------------------ invitations

    async def invite(
        self, team: Team, inviter_id: str, address: str, invitee_id: str | None, now: datetime
    ) -> tuple[Invite, bool]:
        """The invitation of ``address`` to ``team``, and whether it is new."""
        at = now.astimezone(UTC)
        row_id = invite_id(team.id, address)
        insert = upsert_insert(self.session, team_invites).values(
            id=row_id,
            team_id=team.id,
            org_id=team.org_id,
            inviter_id=inviter_id,
            address=address,
            invitee_id=invitee_id,
            status="pending",
            created_at=at,
        )
        result = await self.session.execute(insert.on_conflict_do_nothing(index_elements=["id"]))
        found = await self.get_invite(row_id, lock=True)
        assert found is not None
        return found, bool(getattr(result, "rowcount", 0))

    async def get_invite(self, invite_id_: str, *, lock: bool = False) -> Invite | None:
        query = select(team_invites).where(team_invites.c.id == invite_id_)
        if lock:
            query = query.with_for_update()
        row = (await self.session.execute(query)).first()
        return _invite(row) if row is not None else None

    async def pending_sent(self, inviter_id: str) -> int:
        return int(
            (
                await self.session.execute(
                    select(func.count())
                    .select_from(team_invites)
                    .where(team_invites.c.inviter_id == inviter_id, team_invites.c.status == "pending")
                )
            ).scalar_one()
        )

    async def waiting_for(self, org_id: str, address: str) -> list[Invite]:
        """Invitations of ``address`` on ``org_id`` not yet put to them, oldest first."""
        rows = await self.session.execute(
            select(team_invites)
            .where(
                team_invites.c.org_id == org_id,
                team_invites.c.address == address,
                team_invites.c.status == "pending",
                team_invites.c.asked_at.is_(None),
            )
            .order_by(team_invites.c.created_at, team_invites.c.id)
            .limit(5)
            .with_for_update()
        )
        return [_invite(r) for r in rows]

    async def mark_asked(self, invite_id_: str, invitee_id: str, now: datetime) -> None:
        await self.session.execute(
            update(team_invites)
            .where(team_invites.c.id == invite_id_)
            .values(invitee_id=invitee_id, asked_at=now.astimezone(UTC))
        )

    async def answer(self, invite_id_: str, accepted: bool, now: datetime) -> None:
        await self.session.execute(
            update(team_invites)
            .where(team_invites.c.id == invite_id_)
            .values(status="accepted" if accepted else "declined", answered_at=now.astimezone(UTC))
        )
