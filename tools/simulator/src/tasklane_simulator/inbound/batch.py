"""Meta's batched deliveries: up to 1,000 updates in one POST, over several entries and changes."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tasklane_simulator.inbound import messages as m
from tasklane_simulator.inbound.statuses import status, statuses_change
from tasklane_simulator.payloads import DEFAULT_PHONE_NUMBER_ID, DEFAULT_WABA_ID, new_wamid

STATUS_CYCLE = ("sent", "delivered", "read", "failed", "played")


def _cycle(user: m.User) -> list[Callable[[], m.Inbound]]:
    """One builder per message type, so that a batch carries every type."""
    ours = new_wamid()
    return [
        lambda: m.text(user, "add task: call the plumber"),
        lambda: m.button_reply(user, "task-done", "Done", replying_to=ours),
        lambda: m.list_reply(user, "p-high", "High", replying_to=ours, description="Due today"),
        lambda: m.template_button(user, "SNOOZE_1H", "Snooze 1h", replying_to=ours),
        lambda: m.image(user, caption="the receipt"),
        lambda: m.audio(user, voice=True),
        lambda: m.video(user, caption="how it broke"),
        lambda: m.document(user, "invoice-0042.pdf", caption="invoice"),
        lambda: m.sticker(user, animated=True),
        lambda: m.location(user, 37.4847, -122.1477, name="Meta HQ"),
        lambda: m.reaction(user, ours, "\U0001f44d"),
        lambda: m.contacts(user, m.contact_card("Bruno Lima", "+55 11 98888-7777", "5511988887777")),
        lambda: m.order(user, "gift wrap please"),
        lambda: m.unsupported(user),
        lambda: m.text(user, "forwarded tip", context=m.forwarded_context()),
    ]


def random_user(index: int) -> m.User:
    """A distinct user; every fifth one is known only by a BSUID and a username."""
    bsuid = m.new_bsuid("BR")
    if index % 5 == 4:
        return m.User(wa_id=None, name=f"User {index}", bsuid=bsuid, username=f"user{index}")
    wa_id = f"55119{secrets.randbelow(10**8):08d}"
    return m.User(wa_id=wa_id, name=f"User {index}", bsuid=bsuid)


@dataclass
class Batch:
    payload: dict[str, Any]
    message_wamids: list[str] = field(default_factory=list)
    # (wamid, status) of every status update.
    statuses: list[tuple[str, str]] = field(default_factory=list)

    @property
    def updates(self) -> int:
        return len(self.message_wamids) + len(self.statuses)


def batch(
    updates: int = 1000,
    *,
    entries: int = 4,
    changes_per_entry: int = 5,
    messages_per_user: int = 5,
    status_share: float = 0.3,
    phone_number_ids: tuple[str, ...] = (DEFAULT_PHONE_NUMBER_ID, "106540352242923"),
) -> Batch:
    """``updates`` distinct messages and statuses spread over ``entries`` x ``changes_per_entry``
    changes (messages and statuses in separate changes, as Meta sends them), from many users and to
    several of our numbers, every message type and status represented."""
    n_status = int(updates * status_share)
    n_message = updates - n_status
    slots = entries * changes_per_entry
    users = (random_user(i) for i in itertools.count())
    built: list[m.Inbound] = []
    while len(built) < n_message:
        builders = _cycle(next(users))
        offset = len(built)
        built += [builders[(offset + k) % len(builders)]() for k in range(messages_per_user)]
    built = built[:n_message]
    status_items = [
        status(new_wamid(), STATUS_CYCLE[k % len(STATUS_CYCLE)], random_user(k), callback_data=f"reply-{k}")
        for k in range(n_status)
    ]
    changes: list[list[dict[str, Any]]] = [[] for _ in range(entries)]
    status_slots = max(1, slots // 3) if n_status else 0
    message_slots = max(1, slots - status_slots)
    for slot, chunk in enumerate(_split(built, message_slots)):
        number = phone_number_ids[slot % len(phone_number_ids)]
        changes[slot % entries].append(m.messages_change(*chunk, phone_number_id=number))
    for slot, items in enumerate(_split(status_items, status_slots)):
        number = phone_number_ids[slot % len(phone_number_ids)]
        changes[(message_slots + slot) % entries].append(statuses_change(*items, phone_number_id=number))
    payload = {
        "object": m.OBJECT,
        "entry": [
            {"id": str(int(DEFAULT_WABA_ID) + e), "changes": entry_changes}
            for e, entry_changes in enumerate(changes)
            if entry_changes
        ],
    }
    return Batch(
        payload,
        [inbound.wamid for inbound in built],
        [(item["id"], item["status"]) for item in status_items],
    )


def _split(items: list[Any], parts: int) -> list[list[Any]]:
    """``items`` in ``parts`` contiguous runs of near-equal length (the empty ones left out)."""
    if parts <= 0 or not items:
        return []
    size, extra = divmod(len(items), parts)
    out, start = [], 0
    for part in range(parts):
        end = start + size + (1 if part < extra else 0)
        if end > start:
            out.append(items[start:end])
        start = end
    return out
