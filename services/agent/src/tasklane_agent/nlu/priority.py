"""Priority words in a task request ("urgent", "high priority", "!!")."""

from __future__ import annotations

import re
from typing import Literal

Priority = Literal["low", "normal", "high"]

_PRIORITY_PHRASE = re.compile(
    r"\(?\b(?P<level>high|top|low)[\s-]+priority\b\)?|\bpriority\s*[:=]?\s*(?P<named>high|low|normal)\b",
    re.IGNORECASE,
)
_BANGS = re.compile(r"^\s*!{2,}\s*|\s*!{2,}\s*$")
_MARKER = r"(?:urgent|urgently|important|asap|a\.s\.a\.p\.?)"
# Single words only count at the edges of the request ("urgent: pay rent", "pay rent, urgent"):
# in the middle they are usually part of the title ("reply to the urgent email").
_LEADING = re.compile(
    r"^\s*(?:it'?s\s+|this\s+is\s+)?" + _MARKER + r"\b\s*[:,\-\u2013\u2014]?\s*", re.IGNORECASE
)
_TRAILING = re.compile(
    r"[\s,;\-\u2013\u2014]*\(?\s*(?:(?:it'?s|this\s+is|very)\s+)?" + _MARKER + r"\s*\)?[\s.!]*$",
    re.IGNORECASE,
)
_BRACKETED = re.compile(r"\(\s*" + _MARKER + r"\s*\)", re.IGNORECASE)
_ADJECTIVE = {"urgent": "high", "important": "high", "high-priority": "high", "high priority": "high",
              "low-priority": "low", "low priority": "low"}  # fmt: skip


def priority_of_adjective(word: str | None) -> Priority | None:
    """The priority of an adjective in "create an urgent task ..."."""
    if word is None:
        return None
    level = _ADJECTIVE.get(re.sub(r"\s+", " ", word.lower()))
    return "high" if level == "high" else "low" if level == "low" else None


def extract_priority(text: str) -> tuple[str, Priority | None]:
    """``text`` without its priority markers, and the priority they asked for (None if none)."""
    found: Priority | None = None

    def phrase(m: re.Match[str]) -> str:
        nonlocal found
        level = (m.group("level") or m.group("named") or "").lower()
        found = "low" if level == "low" else "normal" if level == "normal" else "high"
        return " "

    text = _PRIORITY_PHRASE.sub(phrase, text)
    for pattern in (_BANGS, _BRACKETED, _LEADING, _TRAILING):
        stripped = pattern.sub(" ", text)
        if stripped != text:
            text, found = stripped, found or "high"
    return text, found
