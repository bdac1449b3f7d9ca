"""How the sender treats each Graph API failure: the one table to change when Meta adds a code.

Classification is by ``error.code`` (Meta: branch on the code, not on HTTP status or text); the HTTP
status only decides for answers without a code (a proxy's 5xx page, a bare 429 or 401) and for
codes this table does not know. Every code of Meta's error-codes page that a send can meet is
listed (reference §6 of docs/reference), with what it does:

    retry         attempt again after exponential backoff with jitter; failed after max_attempts
    retry_once    code 1 ("invalid request or possible server error"): one more attempt, then failed
    throttle      the number is over its throughput: its schedule is pushed back (escalating),
                  the message waits without spending an attempt
    pair          the recipient is over the pair rate: only that recipient backs off, 4^X seconds
    hold          the number is restricted for hours (131048, 131064): its schedule is pushed back
                  by a configured wait, a warning alert goes out
    pause         authentication, permission or account problem of the whole number: the number
                  is paused (nothing is sent, no message fails or spends an attempt), a critical
                  alert goes out; an operator (or a newer NumberConfigured) resumes it
    window        131047, outside the 24-hour window: resent once as the configured template
    fail          permanent for this message: failed with Meta's reason

``outage`` marks the failures that say the Graph API is down; they also count against the circuit
breaker of the phone number.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tenacity import RetryCallState, Retrying, wait_exponential, wait_exponential_jitter


class Action(StrEnum):
    RETRY = "retry"
    RETRY_ONCE = "retry_once"
    THROTTLE = "throttle"
    PAIR = "pair"
    HOLD = "hold"
    PAUSE = "pause"
    WINDOW = "window"
    FAIL = "fail"


@dataclass(frozen=True)
class Rule:
    action: Action
    outage: bool = False
    # For HOLD: the settings field holding the wait, in seconds.
    wait_setting: str | None = None


RETRY, OUTAGE = Rule(Action.RETRY), Rule(Action.RETRY, outage=True)
THROTTLE, PAUSE, FAIL = Rule(Action.THROTTLE), Rule(Action.PAUSE), Rule(Action.FAIL)

ERRORS: dict[int, Rule] = {
    # --- authentication, permissions, account: the whole number is affected -> pause + alert
    0: PAUSE,  # could not authenticate the app user (token expired or invalidated)
    3: PAUSE,  # capability or permission issue
    10: PAUSE,  # permission not granted or removed
    190: PAUSE,  # access token expired
    368: PAUSE,  # WABA restricted or disabled for policy violations
    131005: PAUSE,  # access denied
    131031: PAUSE,  # business account locked
    131037: PAUSE,  # test number without an approved display name
    131042: PAUSE,  # payment method or billing problem
    131045: PAUSE,  # phone number registration error
    133010: PAUSE,  # phone number not registered on the platform
    # (200-299, API permission errors, are matched as a range in ``rule_for``.)
    # --- temporary conditions
    1: Rule(Action.RETRY_ONCE),  # invalid request or possible server error
    2: OUTAGE,  # temporary downtime or overload
    131000: OUTAGE,  # something went wrong
    131016: OUTAGE,  # service temporarily unavailable
    133004: OUTAGE,  # server temporarily unavailable
    133016: RETRY,  # too many (de)registration attempts
    # --- rate limits: slow down, spend no attempt
    4: THROTTLE,  # app-level Graph API call rate limit
    80007: THROTTLE,  # WABA rate limit
    130429: THROTTLE,  # Cloud API throughput of the number reached
    131057: THROTTLE,  # account in maintenance mode (throughput upgrade, about a minute)
    131056: Rule(Action.PAIR),  # pair rate limit: too many messages to this recipient
    131048: Rule(Action.HOLD, wait_setting="spam_limit_wait_s"),  # spam rate limit
    131064: Rule(Action.HOLD, wait_setting="messaging_limit_wait_s"),  # template violations
    # --- outside the customer-service window: a template instead
    131047: Rule(Action.WINDOW),
    # --- permanent for this message
    100: FAIL,  # invalid or unsupported parameter, value too long
    130403: FAIL,  # the business blocked this user
    130472: FAIL,  # the user is part of an experiment
    130497: FAIL,  # WABA may not message users in this country
    131008: FAIL,  # required parameter missing
    131009: FAIL,  # parameter value not valid (also a bad reaction target)
    131021: FAIL,  # sender and recipient are the same number
    131026: FAIL,  # undeliverable: not on WhatsApp, terms not accepted, client too old
    131030: FAIL,  # recipient not in the test number's allowed list
    131049: FAIL,  # per-user marketing cap: not again within 24 h, a reply would be stale
    131050: FAIL,  # user opted out of marketing messages
    131051: FAIL,  # unsupported message type
    131052: FAIL,  # media download (inbound only)
    131053: FAIL,  # media upload failed (type, MIME)
    131062: FAIL,  # this message may not go to a business-scoped user id (authentication templates)
    131063: FAIL,  # marketing templates disabled for this WABA
    132000: FAIL,  # template parameter count mismatch
    132001: FAIL,  # template missing or not approved in this language
    132005: FAIL,  # translated text too long
    132007: FAIL,  # template format policy violation
    132012: FAIL,  # parameter format mismatch
    132015: FAIL,  # template paused
    132016: FAIL,  # template disabled
    132068: FAIL,  # flow blocked
    132069: FAIL,  # flow throttled (10 an hour): a reply an hour late is stale
    135000: FAIL,  # unknown error with the request parameters
}
# 133000-133015: registration and two-step PIN problems, permanent unless listed above.
_REGISTRATION = range(133000, 133016)
_API_PERMISSIONS = range(200, 300)

NO_RESPONSE = OUTAGE  # timeouts and connection errors


def rule_for(http_status: int | None, code: int | None, *, transient: bool | None = None) -> Rule:
    """The rule for one failed call. ``http_status`` None: no answer (timeout, connection error);
    ``transient``: Meta's ``is_transient`` flag, trusted for codes the table does not know."""
    if http_status is None:
        return NO_RESPONSE
    if code is not None:
        if code in ERRORS:
            return ERRORS[code]
        if code in _API_PERMISSIONS:
            return PAUSE
        if code in _REGISTRATION:
            return FAIL
        if http_status >= 500:
            return OUTAGE
        return RETRY if transient else FAIL
    if http_status >= 500:
        return OUTAGE
    if http_status == 429:
        return THROTTLE
    if http_status in (401, 403):
        return PAUSE
    return FAIL


_RETRYING = Retrying()


def _state(attempt: int) -> RetryCallState:
    state = RetryCallState(_RETRYING, None, (), {})
    state.attempt_number = max(attempt, 1)
    return state


def backoff_s(attempt: int, *, initial: float, maximum: float) -> float:
    """Delay before attempt ``attempt + 1``: exponential with jitter (tenacity)."""
    return float(wait_exponential_jitter(multiplier=initial, max=maximum, jitter=initial)(_state(attempt)))


def pair_backoff_s(strike: int, *, initial: float, maximum: float) -> float:
    """Meta's advice after a pair rate limit hit: 4^X seconds, X = 0, 1, 2... (``initial`` = 1 s)."""
    return float(wait_exponential(multiplier=initial, exp_base=4, max=maximum)(_state(strike + 1)))


def graph_reason(error: dict[str, Any]) -> str:
    """One line for operators: Meta's message, its details, and the fbtrace_id for Meta support."""
    message = str(error.get("message") or error.get("title") or "Graph API error")
    data = error.get("error_data")
    details = data.get("details") if isinstance(data, dict) else None
    reason = f"{message}: {details}" if details and details not in message else message
    if error.get("fbtrace_id"):
        reason += f" (fbtrace_id {error['fbtrace_id']})"
    return reason[:1000]
