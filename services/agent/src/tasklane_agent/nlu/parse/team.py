"""Team requests, the same in every language: invite a number, who is in my team, leave it.

A teammate is invited by phone number, never by name: a name could only be looked up among the
number's other users, and whether someone uses the number is not the inviter's to learn.
"""

from __future__ import annotations

import re
from datetime import datetime

from tasklane_agent.nlu.commands import Command, InviteMember, LeaveTeam, ShowTeam
from tasklane_agent.nlu.parse.common import Grammar, Message

_TEAM = r"(?:team|equipo|equipe|time)"
_MY = r"(?:my|our|the|mi|nuestro|el|meu|minha|nosso|nossa|o|a)"
_NUMBER = r"\+?\s*\d[\d\s().-]{4,24}\d"
_TO_TEAM = rf"(?:to|into|a|al|en|para|pra|na|no|em)\s+(?:{_MY}\s+)?{_TEAM}"
_INVITE = re.compile(
    rf"(?:please\s+|por favor\s+)?(?:invite|invita|invitar|convida|convidar|convide|chama)"
    rf"(?:\s+(?:a|o))?\s+(?P<invited>{_NUMBER})(?:\s+{_TO_TEAM})?"
    rf"|(?:add|agrega|agregar|anade|anadir|adiciona|adicionar|adicione|poe|mete)\s+(?P<added>{_NUMBER})\s+{_TO_TEAM}"
)
# "invite Ana": a name, not a number. Answered with how to invite, never by looking Ana up.
_INVITE_NAME = re.compile(
    rf"(?:invite|invita|invitar|convida|convidar|convide)\s+(?:a\s+|o\s+)?[a-z][a-z'.-]*(?:\s+[a-z][a-z'.-]*)?"
    rf"(?:\s+{_TO_TEAM})?"
)
_SHOW = re.compile(
    r"(?:(?:who(?:'s| is| are)?\s+(?:in|on)\s+)?(?:my|our)\s+team(?:mates)?"
    r"|(?:show|list)\s+(?:me\s+)?(?:my|our)\s+team(?:mates)?"
    r"|(?:quien(?:es)?\s+(?:esta|estan)\s+en\s+)?(?:mi|nuestro)\s+equipo"
    r"|(?:muestrame|ver)\s+(?:mi|nuestro)\s+equipo"
    r"|(?:quem\s+(?:esta|sao|estao)\s+n[ao]\s+)?(?:minha|nossa)\s+equipe|(?:quem\s+(?:esta|estao)\s+no\s+)?"
    r"(?:meu|nosso)\s+time|(?:mostra|ver)\s+(?:a\s+)?(?:minha|nossa)\s+equipe)"
)
_LEAVE = re.compile(
    rf"(?:leave|quit|exit)\s+(?:{_MY}\s+)?{_TEAM}"
    r"|(?:salir|salirme|sal|dejar|abandonar)\s+(?:de\s+)?(?:del\s+|mi\s+|el\s+)?equipo"
    r"|(?:sair|deixar|abandonar)\s+(?:d[ao]\s+|da minha\s+|do meu\s+|a\s+|o\s+)?(?:equipe|time)"
)


def team(g: Grammar, msg: Message, now: datetime) -> Command | None:
    plain = msg.plain
    m = _INVITE.fullmatch(plain)
    if m:
        return InviteMember(re.sub(r"\D", "", m.group("invited") or m.group("added")))
    if _INVITE_NAME.fullmatch(plain):
        return InviteMember("")
    if _SHOW.fullmatch(plain):
        return ShowTeam()
    if _LEAVE.fullmatch(plain):
        return LeaveTeam()
    return None
