"""What a Graph API request is built from, checked before it is built: the phone number id (a
segment of the URL path) and the access token (an HTTP header).

A value that cannot go into a request would fail the same way on every attempt, and the error
that building raises (``UnicodeEncodeError`` from an HTTP header, say) carries the whole value in
its arguments: a token would end up in a log line. So the sender checks these at its edges (the
settings, ``NumberConfigured``, ``ReplyRequested``) and again right before a call, and a message
that cannot be sent fails at once with one of the reasons below. The reasons never contain the
value itself.
"""

from __future__ import annotations

import re

# Meta's phone number ids are decimal numbers (``106540352242922``); the column holds 64.
PHONE_NUMBER_ID_PATTERN = r"^[0-9]{1,64}$"
_PHONE_NUMBER_ID = re.compile(r"[0-9]{1,64}")
# An HTTP header value that every client sends as is: visible ASCII, no spaces (RFC 9110
# allows a little more, but no access token Meta issues needs it, and a pasted one with smart
# quotes, a non-breaking space or a line break is a mistake to refuse, not to re-encode).
_TOKEN = re.compile(r"[\x21-\x7e]{1,4096}")

PHONE_NUMBER_ID_INVALID = "the phone number id is not a valid id (Meta's ids are 1 to 64 digits)"
_HEADER_RULE = "only visible ASCII characters are allowed: pasted with quotes or spaces?"
TOKEN_INVALID = f"the number's access token cannot be sent in an HTTP header ({_HEADER_RULE})"
DEFAULT_TOKEN_INVALID = (
    f"WHATSAPP_ACCESS_TOKEN (TASKLANE_SENDER_ACCESS_TOKEN) cannot be sent in an HTTP header ({_HEADER_RULE})"
)
# Said of a message that never left the sender: nobody can have received it.
NOT_SENT = "nothing was sent"
# Said of a message whose last call may have reached Meta without its answer reaching us.
MAY_HAVE_BEEN_DELIVERED = "it may have been delivered"
# Said of a message Meta answered with an error: it did not take it.
REFUSED = "Meta did not accept it"
# Carried in ``last_error`` from an attempt whose answer was lost, so that the final reason can
# still tell the truth after later attempts were refused.
MAYBE_ACCEPTED = "Meta may have accepted it"


class UnusableToken(Exception):
    """The token stored for a number cannot go into a request (its text: ``TOKEN_INVALID``)."""

    def __init__(self) -> None:
        super().__init__(TOKEN_INVALID)


def valid_phone_number_id(value: str) -> bool:
    return _PHONE_NUMBER_ID.fullmatch(value) is not None


def valid_token(value: str) -> bool:
    return _TOKEN.fullmatch(value) is not None
