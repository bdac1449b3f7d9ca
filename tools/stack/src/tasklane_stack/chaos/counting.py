"""What a fault run did, counted from outside: pure functions over what the simulator and the
agent's REST API report, so they can be tested on small made-up runs."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Counts:
    """The outcome of one fault run of ``n`` messages, one per user."""

    n: int
    replied_once: int
    lost: list[str]  # users who never got a reply
    duplicated: dict[str, int]  # user -> replies they got (more than one)
    tasks_lost: list[int]  # message indexes whose task is missing
    tasks_duplicated: dict[int, int]  # message index -> tasks made from it (more than one)
    webhook_non_200: Mapping[int, int] = field(default_factory=dict)  # message webhooks; 0 = no answer
    status_non_200: int = 0  # status webhook attempts not answered 200
    statuses_unaccepted: int = 0  # status webhooks no attempt of which was answered 200
    recovery_s: float | None = None  # fault end -> last reply
    # last message posted -> last reply: the stream goes on after the fault, so recovery_s is at
    # least the rest of the stream; this says how far the replies were behind the load at its end.
    tail_s: float | None = None

    @property
    def clean(self) -> bool:
        return not (self.lost or self.duplicated or self.tasks_lost or self.tasks_duplicated)


def replies_per_user(expected: Iterable[str], sent: Iterable[Mapping[str, Any]]) -> Counter[str]:
    """How many accepted sends (read receipts aside) went to each expected user; 0 for none."""
    wanted = set(expected)
    counts: Counter[str] = Counter({user: 0 for user in wanted})
    for message in sent:
        to = message.get("to")
        if to in wanted and message.get("type") != "read" and not message.get("failed_with"):
            counts[str(to)] += 1
    return counts


def reply_times(expected: Iterable[str], sent: Iterable[Mapping[str, Any]]) -> list[float]:
    """The Unix time of every reply to an expected user, as the simulator received it."""
    wanted = set(expected)
    return [
        datetime.fromisoformat(str(m["received_at"])).timestamp()
        for m in sent
        if m.get("to") in wanted and m.get("type") != "read"
    ]


def task_index(title: str, token: str) -> int | None:
    """The message index a task title was made from (``... chaos <token> item <i>``), if any."""
    match = re.search(rf"\b{re.escape(token)} item (\d+)\b", title)
    return int(match.group(1)) if match else None


def tasks_per_message(n: int, titles: Iterable[str], token: str) -> Counter[int]:
    counts: Counter[int] = Counter({i: 0 for i in range(n)})
    for title in titles:
        index = task_index(title, token)
        if index is not None and 0 <= index < n:
            counts[index] += 1
    return counts


def status_outcomes(deliveries: Iterable[Mapping[str, Any]]) -> tuple[int, int]:
    """(attempts not answered 200, statuses never answered 200) over the simulator's record of
    its status webhooks, a status being one (wamid, status) pair."""
    non_200 = 0
    accepted: dict[tuple[str, str], bool] = {}
    for d in deliveries:
        if d.get("kind") != "status":
            continue
        key = (str(d.get("wamid")), str(d.get("status")))
        ok = d.get("status_code") == 200
        non_200 += 0 if ok else 1
        accepted[key] = accepted.get(key, False) or ok
    return non_200, sum(1 for ok in accepted.values() if not ok)


def recovery(fault_end: float, times: Iterable[float]) -> float | None:
    """Seconds from the end of the fault to the last reply (0 when everything was answered
    before the fault ended); None without any reply."""
    last = max(times, default=None)
    return None if last is None else max(0.0, last - fault_end)


def count(
    *,
    users: list[str],
    sent: Sequence[Mapping[str, Any]],
    titles: Iterable[str],
    token: str,
    fault_end: float,
    webhook_statuses: Mapping[int, int],
    deliveries: Iterable[Mapping[str, Any]],
    last_post: float | None = None,
) -> Counts:
    """Everything about one run; ``users[i]`` sent message ``i``."""
    per_user = replies_per_user(users, sent)
    per_task = tasks_per_message(len(users), titles, token)
    status_non_200, unaccepted = status_outcomes(deliveries)
    times = reply_times(users, sent)
    last_reply = max(times, default=None)
    return Counts(
        n=len(users),
        replied_once=sum(1 for c in per_user.values() if c == 1),
        lost=sorted(u for u, c in per_user.items() if c == 0),
        duplicated={u: c for u, c in sorted(per_user.items()) if c > 1},
        tasks_lost=sorted(i for i, c in per_task.items() if c == 0),
        tasks_duplicated={i: c for i, c in sorted(per_task.items()) if c > 1},
        webhook_non_200={code: k for code, k in sorted(webhook_statuses.items()) if code != 200},
        status_non_200=status_non_200,
        statuses_unaccepted=unaccepted,
        recovery_s=recovery(fault_end, times),
        tail_s=None if last_reply is None or last_post is None else max(0.0, last_reply - last_post),
    )
