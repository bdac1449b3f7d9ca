"""How the sender treats each Graph API failure: the one table to change when Meta adds a code.

Classification is by ``error.code`` (Meta: branch on the code, not on HTTP status or text), with
HTTP 5xx, timeouts and connection errors retryable whatever the body says.

    retryable  -> attempt again later with backoff, failed after ``max_attempts``
    permanent  -> failed at once with Meta's reason
    outage     -> retryable, and also counts against the circuit breaker of the phone number
"""

from __future__ import annotations

from typing import Any

from tenacity import RetryCallState, Retrying, wait_exponential, wait_exponential_jitter

# Meta's error-codes page (see docs/reference): temporary conditions worth another attempt.
RETRYABLE_CODES: frozenset[int] = frozenset(
    {
        1,  # invalid request or possible server error
        2,  # temporary downtime or overload
        4,  # app-level Graph API rate limit
        80007,  # WABA rate limit
        130429,  # Cloud API throughput reached
        131000,  # something went wrong
        131016,  # service temporarily unavailable
        131056,  # pair rate limit: too many messages to this recipient
        131057,  # account in maintenance mode
        133004,  # server temporarily unavailable
    }
)

# The subset that says "the Graph API is down", as opposed to "slow down" or "not this message".
OUTAGE_CODES: frozenset[int] = frozenset({1, 2, 131000, 131016, 133004})

# Meta asks for 4^X seconds between retries after a pair rate limit hit.
PAIR_RATE_LIMIT = 131056

_RETRYING = Retrying()


def is_retryable(http_status: int | None, code: int | None) -> bool:
    """``http_status`` None means no response (timeout, connection error)."""
    if http_status is None or http_status >= 500 or (http_status == 429 and code is None):
        return True
    return code in RETRYABLE_CODES


def is_outage(http_status: int | None, code: int | None) -> bool:
    if http_status is None or http_status >= 500:
        return True
    return code in OUTAGE_CODES


def backoff_s(attempt: int, code: int | None, *, initial: float, maximum: float) -> float:
    """Delay before attempt ``attempt + 1``, computed with tenacity's wait strategies."""
    state = RetryCallState(_RETRYING, None, (), {})
    state.attempt_number = max(attempt, 1)
    if code == PAIR_RATE_LIMIT:
        wait: Any = wait_exponential(multiplier=initial, exp_base=4, max=maximum)
    else:
        wait = wait_exponential_jitter(multiplier=initial, max=maximum, jitter=initial)
    return float(wait(state))


def graph_reason(error: dict[str, Any]) -> str:
    """One line for operators: Meta's message, its details, and the fbtrace_id for Meta support."""
    message = str(error.get("message") or error.get("title") or "Graph API error")
    data = error.get("error_data")
    details = data.get("details") if isinstance(data, dict) else None
    reason = f"{message}: {details}" if details and details not in message else message
    if error.get("fbtrace_id"):
        reason += f" (fbtrace_id {error['fbtrace_id']})"
    return reason[:1000]
