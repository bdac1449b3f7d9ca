"""Who a message goes to: a phone number or a business-scoped user id (BSUID).

Since 2026 a WhatsApp user who adopts a username may be known to the business only by a BSUID
(``US.13491208655302741918``: an ISO country code, a dot, up to 128 letters and digits; a parent
BSUID of an enterprise portfolio has ``ENT.`` after the country). Meta's webhooks then carry no
phone number, and the Graph API takes the BSUID in ``recipient`` instead of ``to``.

The sender stores one recipient string per message and keys everything by it: the per-recipient
order of the claims, the pair rate (``recipient_pacing.to``) and the 24-hour window
(``windows.wa_id``). A phone number is stored as its E.164 digits (as before: "+49 151-2345678"
and "491512345678" are one recipient); a BSUID exactly as Meta sent it (case matters, it is
opaque). The two forms never collide: a BSUID always has a dot and a letter, digits never do.
"""

from __future__ import annotations

import re

from tasklane_common.messaging.contracts.gateway import MessageReceived

# Widest stored recipient: "XX.ENT." and 128 characters fit with room to spare.
WIDTH = 200
_PHONE = re.compile(r"\+?[0-9]{6,15}")
# Strict on purpose: anything else in ``to`` is a bug upstream, better dead-lettered than sent.
_BSUID = re.compile(r"[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}")


def is_bsuid(recipient: str) -> bool:
    return _BSUID.fullmatch(recipient) is not None


def normalise(to: str) -> str | None:
    """The stored recipient of ``to``: the digits of a phone number, a BSUID as is; None when it
    is neither (a BSUID must never be turned into digits, nor digits sent as a BSUID)."""
    compact = to.replace(" ", "").replace("-", "")
    if _PHONE.fullmatch(compact):
        return compact.lstrip("+")
    return to if is_bsuid(to) else None


def of_inbound(event: MessageReceived) -> list[str]:
    """Every recipient string that names the writer of ``event``: the digits of their phone
    number and their BSUID, whichever Meta sent. Meta's window belongs to the user, not to one of
    their addresses, so it is recorded under each (a reply may name the user either way); the
    first one is the address replies default to (the agent's ``wa_id or bsuid``)."""
    found = [r for r in (normalise(event.wa_id or ""), normalise(event.bsuid or "")) if r]
    return list(dict.fromkeys(found))
