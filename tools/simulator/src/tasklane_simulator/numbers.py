"""``GET /{version}/{phone_number_id}``: the phone number node as the Graph API shows it."""

from __future__ import annotations

from typing import Any

from tasklane_simulator.errors import GraphError
from tasklane_simulator.settings import NumberSettings

# What Meta answers when no ``fields`` are asked for.
DEFAULT_FIELDS = ("verified_name", "code_verification_status", "display_phone_number", "quality_rating")


def formatted(display_phone_number: str) -> str:
    """Meta shows numbers formatted (``+1 555-078-3881``); North American ones are spelled out."""
    digits = "".join(ch for ch in display_phone_number if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        return f"+1 {digits[1:4]}-{digits[4:7]}-{digits[7:]}"
    return f"+{digits}"


def phone_number_node(
    number: NumberSettings, fields: str | None, *, throughput_per_s: float
) -> dict[str, Any]:
    available: dict[str, Any] = {
        "verified_name": number.verified_name,
        "code_verification_status": "VERIFIED",
        "display_phone_number": formatted(number.display_phone_number),
        "quality_rating": number.quality_rating,
        "platform_type": "CLOUD_API",
        "name_status": "APPROVED",
        "status": "CONNECTED",
        "throughput": {"level": "HIGH" if throughput_per_s > 80 else "STANDARD"},
    }
    wanted = [f.strip() for f in (fields or "").split(",") if f.strip()] or list(DEFAULT_FIELDS)
    node: dict[str, Any] = {}
    for name in wanted:
        if name == "id":
            continue
        if name not in available:
            raise GraphError(
                100,
                message=f"(#100) Tried accessing nonexisting field ({name}) on node type "
                "(WhatsAppBusinessPhoneNumber)",
            )
        node[name] = available[name]
    node["id"] = number.phone_number_id
    return node
