"""The traffic of a fault run: one signed text webhook per user, posted at a steady rate and
retried as Meta retries a webhook that was not answered 200 (a growing backoff, for a bounded
time here)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from tasklane_simulator import payloads


@dataclass(frozen=True)
class Message:
    index: int
    wa_id: str
    body: bytes


@dataclass(frozen=True)
class RetryPolicy:
    """Meta's webhook retries, shortened: the first retry after ``base_s``, then doubling, at most
    ``max_s`` apart, until ``horizon_s`` after the first attempt (Meta keeps going for days)."""

    base_s: float = 1.0
    max_s: float = 16.0
    horizon_s: float = 600.0
    timeout_s: float = 20.0

    def delay(self, retry: int) -> float:
        return float(min(self.max_s, self.base_s * 2 ** (retry - 1)))


@dataclass
class PostLog:
    """Every answer the gateway gave (0: no answer), and the messages it never accepted."""

    answers: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)  # why an attempt got no answer (0)
    first_post: dict[str, float] = field(default_factory=dict)  # wa_id -> Unix time
    given_up: list[str] = field(default_factory=list)
    posted: int = 0  # messages whose first attempt has started


def task_text(token: str, index: int) -> str:
    return f"Create a task to check chaos {token} item {index} by Friday"


def build_messages(token: str, run: int, n: int) -> list[Message]:
    """``n`` messages from ``n`` distinct users (``1998<run><index>``, 14 digits)."""
    out = []
    for i in range(n):
        wa_id = f"1998{run % 10_000:04d}{i:06d}"
        payload = payloads.text_message_webhook(from_=wa_id, text=task_text(token, i), name=f"Chaos {i}")
        out.append(Message(i, wa_id, payloads.encode(payload)))
    return out


async def deliver(
    client: httpx.AsyncClient, url: str, secret: str, message: Message, policy: RetryPolicy, log: PostLog
) -> bool:
    """One webhook, retried until it is answered 200 or the horizon passes."""
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": payloads.sign(message.body, secret),
        "User-Agent": "facebookexternalua",
    }
    started = time.monotonic()
    retry = 0
    while True:
        try:
            response = await client.post(url, content=message.body, headers=headers, timeout=policy.timeout_s)
            code = response.status_code
        except httpx.HTTPError as exc:
            # PoolTimeout is this client's own queue (every connection busy), not the gateway's.
            code = 0
            log.errors[type(exc).__name__] += 1
        log.answers[code] += 1
        if code == 200:
            return True
        retry += 1
        wait = policy.delay(retry)
        if time.monotonic() - started + wait > policy.horizon_s:
            log.given_up.append(message.wa_id)
            return False
        await asyncio.sleep(wait)


async def run_load(
    messages: list[Message],
    *,
    url: str,
    secret: str,
    rate: float,
    copies: int = 1,
    policy: RetryPolicy | None = None,
    on_posted: Callable[[int], None] | None = None,
) -> PostLog:
    """Post every message, the i-th no earlier than i/rate s after the first (open loop: a slow
    or failing gateway does not slow the offered load down); each ``copies`` times, as Meta does
    when it delivers a webhook more than once: two copies at once, any further ones a second
    apart. Returns once every delivery has been answered 200 or given up."""
    policy = policy or RetryPolicy()
    log = PostLog()
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=64)
    async with httpx.AsyncClient(limits=limits) as client, asyncio.TaskGroup() as group:
        t0 = time.monotonic()
        for message in messages:
            await asyncio.sleep(max(0.0, t0 + message.index / rate - time.monotonic()))
            log.first_post[message.wa_id] = time.time()
            for copy in range(copies):
                group.create_task(_copy(client, url, secret, message, policy, log, max(0, copy - 1) * 1.0))
            log.posted += 1
            if on_posted is not None:
                on_posted(log.posted)
    return log


async def _copy(
    client: httpx.AsyncClient,
    url: str,
    secret: str,
    message: Message,
    policy: RetryPolicy,
    log: PostLog,
    delay: float,
) -> None:
    if delay:
        await asyncio.sleep(delay)
    await deliver(client, url, secret, message, policy, log)
