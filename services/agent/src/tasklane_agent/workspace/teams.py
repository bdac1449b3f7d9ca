"""The team tools of a workspace: invite a number, answer an invitation, see and leave a team.

Nobody becomes someone's teammate without saying yes. An invitation names a phone number; the
invitee is asked, with buttons, and only an acceptance puts them in the inviter's team. The
inviter learns nothing about the number until then (the same answer whether it uses Tasklane or
not), and the question carries none of the inviter's own text: only their phone number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import phonenumbers

from tasklane_agent.domain import Profile
from tasklane_agent.domain.names import name_key
from tasklane_agent.storage.teams import Invite, Team
from tasklane_agent.workspace.core import (
    Conflict,
    NotFound,
    Notice,
    TaskChanges,
    WorkspaceCore,
    WorkspaceError,
)
from tasklane_agent.workspace.tasks import TaskTools

# Invitations one user may have waiting for an answer: enough for a team, too few to spam with.
MAX_PENDING_INVITES = 10
# WhatsApp lets the business write freely only within 24 hours of the user's last message: an
# invitee who wrote earlier is asked when they next write, so the question keeps its buttons.
ASK_WITHIN = timedelta(hours=23)

InviteOutcome = Literal["sent", "self", "already", "too_many", "bad_number"]
AnswerOutcome = Literal["joined", "declined", "stale"]


@dataclass(frozen=True)
class Invited:
    outcome: InviteOutcome
    number: str  # the number as shown to people ("+34 600 11 12 22")


def shown_number(address: str) -> str | None:
    """``address`` in international format, or None when it is no phone number (a BSUID)."""
    if not address.isdigit():
        return None
    try:
        parsed = phonenumbers.parse("+" + address)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def wa_address(digits: str) -> str | None:
    """The wa_id WhatsApp gives the owner of ``digits`` (country code first), or None when they
    cannot be a phone number."""
    try:
        parsed = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return f"{parsed.country_code}{parsed.national_number}"


class TeamTools:
    """Teams: invite, answer, leave; an admin's teams and their members."""

    def __init__(self, core: WorkspaceCore, task_tools: TaskTools) -> None:
        self.core = core
        self.store = core.store
        self.task_tools = task_tools

    def _me(self) -> Profile:
        if self.core.actor is None:
            raise WorkspaceError("only a user can do this")
        return self.core.actor

    async def team_members(self) -> list[Profile]:
        """The actor's teammates, by name."""
        me = self._me()
        found = await self.store.profiles.many(sorted(await self.store.teams.teammate_ids(me.user_id)))
        return sorted(found.values(), key=lambda p: ((p.name or "").casefold(), p.user_id))

    async def invite(self, digits: str) -> Invited:
        me = self._me()
        address = wa_address(digits)
        if address is None:
            return Invited("bad_number", "+" + digits if digits else "")
        number = shown_number(address) or "+" + address
        if address == me.address:
            return Invited("self", number)
        invitee = await self.store.profiles.by_address(me.org_id, address)
        if invitee is not None and await self.store.teams.share_team(me.user_id, invitee.user_id):
            return Invited("already", number)
        if await self.store.teams.pending_sent(me.user_id) >= MAX_PENDING_INVITES:
            return Invited("too_many", number)
        team = await self.store.teams.personal_team(me.org_id, me.user_id, self.core.now)
        invite, new = await self.store.teams.invite(
            team, me.user_id, address, invitee.user_id if invitee else None, self.core.now
        )
        # Asked once: a repeated invitation, or one the invitee declined, asks nothing again,
        # and the inviter is told the same as the first time (a "no" is not theirs to learn).
        recent = (
            invitee is not None
            and invitee.updated_at is not None
            and self.core.now - invitee.updated_at < ASK_WITHIN
        )
        if new and invitee is not None and recent:
            await self._ask(invite, invitee)
        return Invited("sent", number)

    async def ask_waiting_invites(self) -> int:
        """Put to the actor the invitations made before they wrote (or while their window was
        closed). Returns how many were asked."""
        me = self._me()
        waiting = await self.store.teams.waiting_for(me.org_id, me.address)
        for invite in waiting:
            await self._ask(invite, me)
        return len(waiting)

    async def _ask(self, invite: Invite, invitee: Profile) -> None:
        inviter = await self.store.profiles.get(invite.inviter_id)
        who = shown_number(inviter.address) if inviter is not None else None
        await self.store.teams.mark_asked(invite.id, invitee.user_id, self.core.now)
        # Not ``_notify``: the invitee shares no team with the inviter yet. What reaches them is
        # our text and the inviter's number, nothing the inviter wrote.
        self.core.effects.notices.append(
            Notice(
                invitee,
                "invite_question",
                {"who": who or ""},
                buttons=((f"team:{invite.id}:yes", "invite_yes"), (f"team:{invite.id}:no", "invite_no")),
            )
        )

    async def answer_invite(self, invite_id: str, yes: bool) -> AnswerOutcome:
        me = self._me()
        invite = await self.store.teams.get_invite(invite_id, lock=True)
        if (
            invite is None
            or invite.status != "pending"
            or invite.org_id != me.org_id
            or invite.address != me.address
        ):
            return "stale"
        await self.store.teams.answer(invite.id, yes, self.core.now)
        if not yes:
            return "declined"
        await self.store.teams.join(invite.team_id, me.user_id, self.core.now)
        inviter = await self.store.profiles.get(invite.inviter_id)
        if inviter is not None:
            who = me.name or shown_number(me.address) or ""
            await self.core.notify(inviter, "notice_joined", {"who": who})
        return "joined"

    async def leave_teams(self) -> tuple[int, list[str]]:
        """Leave every team joined by invitation, and end one's own (its members leave it too).
        Assignments across a tie that ends are undone, so no reminder or notice carries one's
        tasks to a former teammate. Returns (teams left, names of admin teams one stays in)."""
        me = self._me()
        before = await self.store.teams.teammate_ids(me.user_id)
        left, managed = 0, []
        for team in await self.store.teams.teams_of(me.user_id):
            if team.kind == "admin":
                managed.append(team.name or "")
                continue
            if team.owner_id == me.user_id:
                others = [m for m in await self.store.teams.member_ids(team.id) if m != me.user_id]
                for member in others:
                    await self.store.teams.remove(team.id, member)
                left += 1 if others else 0
            else:
                left += await self.store.teams.remove(team.id, me.user_id)
        gone = before - await self.store.teams.teammate_ids(me.user_id)
        if gone:
            await self._unassign_across(me.user_id, gone)
        return left, managed

    async def _unassign_across(self, user_id: str, former: set[str]) -> None:
        for task in await self.store.tasks.assigned_between(user_id, former):
            await self.task_tools.update_task(task.id, TaskChanges(assignee_id=None))

    # ------------------------------------------------------------------ the admin's tools

    async def create_team(self, org_id: str, name: str) -> Team:
        name = " ".join(name.split())[:200]
        if not name_key(name):
            raise WorkspaceError("a team needs a name")
        made = await self.store.teams.create_admin_team(self.core.new_id("team"), org_id, name, self.core.now)
        if made is None:
            raise Conflict(f"number {org_id!r} has a team named {name!r} already")
        return made

    async def team(self, team_id: str) -> Team:
        found = await self.store.teams.get(team_id)
        if found is None:
            raise NotFound(f"no team {team_id!r}")
        return found

    async def add_team_member(self, team_id: str, user_id: str) -> bool:
        """True when ``user_id`` was not a member yet. A user who has not written yet may be
        added (an admin maps numbers before people write); one of another number may not."""
        found = await self.team(team_id)
        profile = await self.store.profiles.get(user_id)
        if profile is not None and profile.org_id != found.org_id:
            raise Conflict(f"user {user_id!r} writes to another number than the team's")
        return await self.store.teams.join(found.id, user_id, self.core.now)

    async def remove_team_member(self, team_id: str, user_id: str) -> bool:
        """True when ``user_id`` was a member. Assignments across the ties this ends are undone."""
        found = await self.team(team_id)
        before = await self.store.teams.teammate_ids(user_id)
        removed = await self.store.teams.remove(found.id, user_id)
        gone = before - await self.store.teams.teammate_ids(user_id)
        if gone:
            await self._unassign_across(user_id, gone)
        return removed

    async def delete_team(self, team_id: str) -> None:
        found = await self.team(team_id)
        for member in await self.store.teams.member_ids(found.id):
            await self.remove_team_member(found.id, member)
        await self.store.teams.delete_team(found.id)
