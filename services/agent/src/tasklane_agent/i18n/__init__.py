"""The agent's words in English, Spanish and Portuguese, and dates rendered the local way.

``t(lang, key, **params)`` formats one catalogue entry; a key missing in a language falls back to
English, so a new message never breaks a conversation. Dates read "Fri 27 Nov" / "vie 27 nov" /
"sex 27 nov", with the year only when it is not the current one and ", 15:00" when a time was set.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from tasklane_agent.domain.language import Lang
from tasklane_agent.i18n import en, es, pt

CATALOGUES: dict[str, dict[str, str]] = {"en": en.MESSAGES, "es": es.MESSAGES, "pt": pt.MESSAGES}
_DAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "es": ("lun", "mar", "mié", "jue", "vie", "sáb", "dom"),
    "pt": ("seg", "ter", "qua", "qui", "sex", "sáb", "dom"),
}
_MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
    "pt": ("jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez"),
}


def t(lang: Lang | str, key: str, **params: object) -> str:
    """The ``key`` message in ``lang``; with ``n == 1`` its ``_one`` form when there is one."""
    catalogue = CATALOGUES.get(lang, en.MESSAGES)
    if params.get("n") == 1 and f"{key}_one" in en.MESSAGES:
        key = f"{key}_one"
    template = catalogue.get(key) or en.MESSAGES[key]
    return template.format(**params) if params else template


def format_due(due_at: datetime, has_time: bool, tz: ZoneInfo, now: datetime, lang: Lang | str = "en") -> str:
    """ "Fri 27 Nov" or "Thu 26 Nov, 15:00" in ``tz``; the year is added when it differs from now's."""
    # A date-only deadline is a calendar day, the same in every timezone (see ``deadlines``).
    local = due_at.astimezone(tz) if has_time else due_at.astimezone(UTC)
    days = _DAYS.get(lang, _DAYS["en"])
    months = _MONTHS.get(lang, _MONTHS["en"])
    text = f"{days[local.weekday()]} {local.day} {months[local.month - 1]}"
    if local.year != now.astimezone(tz).year:
        text += f" {local.year}"
    if has_time:
        text += f", {local:%H:%M}"
    return text
