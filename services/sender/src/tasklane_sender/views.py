"""What the operators' HTTP API answers (``api``), as models, so its OpenAPI says it truly."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class StatusOut(BaseModel):
    status: str = Field(description="Meta's status: sent, delivered, read or failed.")
    status_at: str
    errors: list[Any]
    pricing: dict[str, Any] | None
    received_at: str


class MessageOut(BaseModel):
    reply_id: str
    status: str = Field(description="queued, sending, sent, delivered, read or failed.")
    wamid: str | None
    kind: str
    attempts: int
    error_code: int | None
    last_error: str | None
    created_at: str
    sent_at: str | None
    statuses: list[StatusOut] = Field(description="Meta's status history, oldest first.")


class NumberOut(BaseModel):
    phone_number_id: str
    state: str | None = Field(description="active or disabled; null for a number never configured.")
    display_phone_number: str | None
    throughput_per_s: int | None
    paused: bool
    paused_at: str | None
    pause_code: int | None
    pause_reason: str | None
    held_until: str | None = Field(description="Set while Meta's answers hold the number back.")
    hold_code: int | None
    hold_reason: str | None
    pending: int = Field(description="Messages queued or sending.")
    breaker: Literal["closed", "open", "half-open"] = Field(description="This replica's circuit breaker.")


class ResumeOut(BaseModel):
    phone_number_id: str
    resumed: bool = Field(description="It was paused or held, and is no longer.")
    hold_lifted: bool
    paused: bool
