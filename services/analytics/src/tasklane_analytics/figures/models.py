"""The shapes the figures API answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from tasklane_analytics.figures.catalogue import Metric


class Figures(BaseModel):
    """Every figure of one period (see docs/analytics.md for what each counts)."""

    messages_received: int
    messages_sent: int
    messages_delivered: int
    messages_read: int
    messages_failed: int
    sent_template: int
    sent_free_form: int
    error_rate: float | None = Field(
        description="Failed over sent plus refused outright; null without sends."
    )
    unique_users: int = Field(description="Distinct users who wrote in the period (exact).")
    turns: int = Field(description="Messages the assistant answered.")
    fallbacks: int = Field(description="Of those, the ones it did not understand.")
    fallback_rate: float | None
    responses: int = Field(description="Turns whose first reply the Graph API accepted.")
    avg_response_time_ms: float | None = Field(
        description="From a message received to the first reply of its turn accepted by Meta."
    )
    p50_response_time_ms: float | None
    p90_response_time_ms: float | None
    p99_response_time_ms: float | None
    tasks_created: int
    tasks_completed: int
    tasks_overdue: int
    reminders_sent: int
    messages_throttled: int
    messages_expired: int
    failed_by_error_code: dict[str, int] = Field(
        description="Failures by Graph API error code ('none': no code)."
    )
    pricing_categories: dict[str, int] = Field(description="Messages by the pricing category Meta reported.")


class Delta(BaseModel):
    absolute: float | None
    relative: float | None = Field(description="(current - previous) / previous; null when previous is 0.")


class Summary(Figures):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from", description="Start of the window (inclusive, a whole UTC hour).")
    to: str = Field(description="End of the window (exclusive, a whole UTC hour).")
    numbers: list[str] | None = Field(description="The phone number ids counted; null for all.")
    previous: Figures = Field(description="The same figures over the period of the same length just before.")
    delta: dict[str, Delta] = Field(description="Per numeric figure: the change against the previous period.")
    events_by_type: dict[str, int] = Field(description="Raw events in the window, while the log keeps them.")


class Point(BaseModel):
    start: str = Field(description="Bucket start, local time in the zone (ISO 8601 with offset).")
    end: str = Field(description="Bucket end (exclusive), local time in the zone.")
    value: float | int | None


class Line(BaseModel):
    phone_number_id: str | None = Field(description="The number; null for all numbers together.")
    points: list[Point]


class Series(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    metric: Metric
    granularity: str
    zone: str
    from_: str = Field(alias="from")
    to: str
    lines: list[Line]


class NumberOverview(Figures):
    phone_number_id: str = Field(description="Meta's phone number id ('' for events of no number: tasks).")


class Failure(BaseModel):
    event_id: str
    at: str = Field(description="When the failure happened (its hour is where it is counted).")
    phone_number_id: str | None
    reply_id: str | None
    wamid: str | None
    error_code: int | None
    reason: str | None
    correlation_id: str = Field(description="The conversation turn's id, as in every service's logs.")
    trace_id: str | None = Field(
        description="The OpenTelemetry trace id of the event, if it travelled in one."
    )


class RecomputeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: datetime = Field(
        alias="from", description="Start (ISO 8601, UTC if naive); floored to the whole hour."
    )
    to: datetime = Field(description="End (ISO 8601, exclusive); raised to the whole hour.")


class Recomputed(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    events: int = Field(description="Raw events replayed.")
    turns: int = Field(description="Turns counted from stored times (their reply outside the range).")
    overdue: int = Field(description="Tasks counted overdue.")
