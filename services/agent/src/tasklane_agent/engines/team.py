"""The rules engine's team actions: invite a number, answer an invitation, show and leave a team."""

from __future__ import annotations

from tasklane_agent.engines.base import Context, Outgoing
from tasklane_agent.i18n import t
from tasklane_agent.workspace.teams import MAX_PENDING_INVITES, shown_number


async def invite(ctx: Context, digits: str) -> Outgoing:
    if not digits:
        return Outgoing(t(ctx.lang, "invite_how"))
    done = await ctx.workspace.teams.invite(digits)
    if done.outcome == "too_many":
        return Outgoing(t(ctx.lang, "invite_too_many", n=MAX_PENDING_INVITES))
    return Outgoing(t(ctx.lang, f"invite_{done.outcome}", number=done.number))


async def answer(ctx: Context, invite_id: str, yes: bool) -> Outgoing:
    outcome = await ctx.workspace.teams.answer_invite(invite_id, yes)
    return Outgoing(t(ctx.lang, f"invite_{outcome}"))


async def show(ctx: Context) -> Outgoing:
    members = await ctx.workspace.teams.team_members()
    if not members:
        return Outgoing(t(ctx.lang, "team_alone"))
    names = ", ".join(m.name or shown_number(m.address) or "?" for m in members)
    return Outgoing(t(ctx.lang, "team_list", names=names))


async def leave(ctx: Context) -> Outgoing:
    left, managed = await ctx.workspace.teams.leave_teams()
    lines = [t(ctx.lang, "team_left")] if left else []
    if managed:
        lines.append(t(ctx.lang, "team_managed", names=", ".join(f"*{n}*" for n in managed)))
    return Outgoing("\n".join(lines) or t(ctx.lang, "team_left_none"))
