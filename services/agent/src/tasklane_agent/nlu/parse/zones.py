"""Turning what people call a place ("Lisbon", "sao paulo", "New York", "EST", "Brazil") into an
IANA timezone name.

Three sources, tried in order:
1. a small alias table: countries, abbreviations, and cities whose English, Spanish or Portuguese
   name differs from the tz database's ("Lisboa", "Nueva York", "Ciudad de México");
2. every zone the tz database knows, by its full name ("america/new_york") or by its last part
   ("new york", "sao paulo", "buenos aires"), compared without case, accents, spaces or "_";
3. offsets: "UTC+2", "GMT-3", "utc" (tz's Etc/GMT signs are inverted: UTC+2 is Etc/GMT-2).

Countries spanning several zones get their most populous one (USA -> New York, Brazil -> São
Paulo): the user can name the city when that is wrong, and the reply shows the zone chosen.
"""

from __future__ import annotations

import re
import zoneinfo
from functools import cache

from tasklane_agent.nlu.language import fold

_ALIASES = {
    # abbreviations people type
    "utc": "UTC", "gmt": "UTC", "z": "UTC", "zulu": "UTC",
    "est": "America/New_York", "edt": "America/New_York", "eastern": "America/New_York",
    "et": "America/New_York", "cst": "America/Chicago", "cdt": "America/Chicago",
    "central": "America/Chicago", "mst": "America/Denver", "mdt": "America/Denver",
    "mountain": "America/Denver", "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles",
    "pacific": "America/Los_Angeles", "pt": "America/Los_Angeles", "bst": "Europe/London",
    "cet": "Europe/Paris", "cest": "Europe/Paris", "wet": "Europe/Lisbon", "west": "Europe/Lisbon",
    "brt": "America/Sao_Paulo", "ist": "Asia/Kolkata", "jst": "Asia/Tokyo",
    "aest": "Australia/Sydney",
    # countries and regions (their most populous zone)
    "uk": "Europe/London", "united kingdom": "Europe/London", "england": "Europe/London",
    "britain": "Europe/London", "great britain": "Europe/London", "scotland": "Europe/London",
    "wales": "Europe/London", "reino unido": "Europe/London", "inglaterra": "Europe/London",
    "ireland": "Europe/Dublin", "irlanda": "Europe/Dublin",
    "spain": "Europe/Madrid", "espana": "Europe/Madrid", "espanha": "Europe/Madrid",
    "portugal": "Europe/Lisbon", "france": "Europe/Paris", "francia": "Europe/Paris",
    "franca": "Europe/Paris", "germany": "Europe/Berlin", "alemania": "Europe/Berlin",
    "alemanha": "Europe/Berlin", "italy": "Europe/Rome", "italia": "Europe/Rome",
    "netherlands": "Europe/Amsterdam", "holland": "Europe/Amsterdam",
    "brazil": "America/Sao_Paulo", "brasil": "America/Sao_Paulo",
    "usa": "America/New_York", "us": "America/New_York", "united states": "America/New_York",
    "america": "America/New_York", "estados unidos": "America/New_York", "eua": "America/New_York",
    "eeuu": "America/New_York", "ee uu": "America/New_York",
    "mexico": "America/Mexico_City", "argentina": "America/Argentina/Buenos_Aires",
    "colombia": "America/Bogota", "peru": "America/Lima", "chile": "America/Santiago",
    "venezuela": "America/Caracas", "ecuador": "America/Guayaquil", "uruguay": "America/Montevideo",
    "uruguai": "America/Montevideo", "paraguay": "America/Asuncion", "paraguai": "America/Asuncion",
    "bolivia": "America/La_Paz", "cuba": "America/Havana", "canada": "America/Toronto",
    "angola": "Africa/Luanda", "mozambique": "Africa/Maputo", "mocambique": "Africa/Maputo",
    "cabo verde": "Atlantic/Cape_Verde", "cape verde": "Atlantic/Cape_Verde",
    "india": "Asia/Kolkata", "japan": "Asia/Tokyo", "japon": "Asia/Tokyo", "japao": "Asia/Tokyo",
    "china": "Asia/Shanghai", "australia": "Australia/Sydney",
    # cities by their Spanish/Portuguese name, or missing from the tz database
    "lisboa": "Europe/Lisbon", "porto": "Europe/Lisbon", "oporto": "Europe/Lisbon",
    "londres": "Europe/London", "barcelona": "Europe/Madrid", "valencia": "Europe/Madrid",
    "sevilla": "Europe/Madrid", "bilbao": "Europe/Madrid", "malaga": "Europe/Madrid",
    "nueva york": "America/New_York", "nova york": "America/New_York", "nova iorque": "America/New_York",
    "nyc": "America/New_York", "ny": "America/New_York", "washington": "America/New_York",
    "boston": "America/New_York", "miami": "America/New_York", "atlanta": "America/New_York",
    "san francisco": "America/Los_Angeles", "seattle": "America/Los_Angeles", "sf": "America/Los_Angeles",
    "la": "America/Los_Angeles", "dallas": "America/Chicago", "houston": "America/Chicago",
    "austin": "America/Chicago", "ciudad de mexico": "America/Mexico_City", "cdmx": "America/Mexico_City",
    "cidade do mexico": "America/Mexico_City", "mexico df": "America/Mexico_City",
    "guadalajara": "America/Mexico_City", "monterrey": "America/Monterrey",
    "rio": "America/Sao_Paulo", "rio de janeiro": "America/Sao_Paulo", "brasilia": "America/Sao_Paulo",
    "belo horizonte": "America/Sao_Paulo", "curitiba": "America/Sao_Paulo",
    "porto alegre": "America/Sao_Paulo", "salvador": "America/Bahia", "sampa": "America/Sao_Paulo",
    "sp": "America/Sao_Paulo", "rj": "America/Sao_Paulo", "medellin": "America/Bogota",
    "cali": "America/Bogota", "quito": "America/Guayaquil", "santiago de chile": "America/Santiago",
    "buenos aires": "America/Argentina/Buenos_Aires", "cordoba": "America/Argentina/Cordoba",
    "toronto": "America/Toronto", "montreal": "America/Toronto", "vancouver": "America/Vancouver",
    "paris": "Europe/Paris", "berlin": "Europe/Berlin", "roma": "Europe/Rome", "munich": "Europe/Berlin",
    "milan": "Europe/Rome", "milao": "Europe/Rome", "bruxelas": "Europe/Brussels",
    "bruselas": "Europe/Brussels", "dubai": "Asia/Dubai", "mumbai": "Asia/Kolkata",
    "delhi": "Asia/Kolkata", "new delhi": "Asia/Kolkata", "bangalore": "Asia/Kolkata",
    "beijing": "Asia/Shanghai", "pequim": "Asia/Shanghai", "pekin": "Asia/Shanghai",
    "toquio": "Asia/Tokyo", "tokio": "Asia/Tokyo",
}  # fmt: skip

# Zones that are not places people live in, or duplicates kept for compatibility.
_SKIP_PREFIXES = ("Etc/", "SystemV/", "posix/", "right/", "US/", "Canada/", "Brazil/", "Mexico/", "Chile/")
_CONTINENTS = ("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/", "Europe/",
               "Indian/", "Pacific/")  # fmt: skip
_OFFSET = re.compile(r"(?:utc|gmt)\s*(?P<sign>[+-])\s*(?P<h>\d{1,2})(?::?00)?")


def _key(text: str) -> str:
    """A comparison key: "São Paulo", "sao_paulo" and "SaoPaulo" all give "saopaulo"."""
    return re.sub(r"[\s_\-.']+", "", fold(text))


@cache
def _index() -> dict[str, str]:
    """Every zone under its full name and under its city, preferring canonical continent zones."""
    index: dict[str, str] = {}
    # Canonical-looking zones first (continent prefix, fewer parts, then alphabetical), so that
    # "buenos aires" finds America/Argentina/Buenos_Aires' twin deterministically.
    zones = sorted(
        (z for z in zoneinfo.available_timezones() if not z.startswith(_SKIP_PREFIXES)),
        key=lambda z: (not z.startswith(_CONTINENTS), z.count("/"), z),
    )
    for zone in zones:
        index.setdefault(_key(zone), zone)
        index.setdefault(_key(zone.rsplit("/", 1)[-1]), zone)
    for alias, zone in _ALIASES.items():
        index[_key(alias)] = zone
    return index


_NOISE = re.compile(
    r"^(?:the|el|la|o|a|de|do|da|in|en|em|no|na)\s+|\s+(?:time|timezone|time zone|now|ahora|agora|"
    r"please|por favor|horario|hora)$"
)


def resolve_zone(text: str) -> str | None:
    """The IANA name for a place, abbreviation or offset; None when nothing fits."""
    plain = fold(text).strip(" .,!?;:")
    while True:
        shorter = _NOISE.sub("", plain).strip()
        if shorter == plain:
            break
        plain = shorter
    offset = _OFFSET.fullmatch(plain)
    if offset:
        hours = int(offset.group("h"))
        if hours > 14:
            return None
        if hours == 0:
            return "UTC"
        # POSIX-style names: Etc/GMT-2 is two hours *ahead* of UTC.
        return f"Etc/GMT{'-' if offset.group('sign') == '+' else '+'}{hours}"
    found = _index().get(_key(plain))
    if found:
        return found
    # "Lisbon, Portugal" / "Madrid Spain": try the first part alone.
    head = re.split(r"[,/]|\s+(?=[a-z]+$)", plain, maxsplit=1)[0].strip()
    return _index().get(_key(head)) if head and head != plain else None
