"""Matching what people type against names: "website relaunch" finds "Website Relaunch",
"joao" finds "João"."""

from __future__ import annotations

import re
import unicodedata


def name_key(name: str) -> str:
    """Lower case, no accents, single spaces, no punctuation at the edges."""
    folded = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", plain)).strip()
