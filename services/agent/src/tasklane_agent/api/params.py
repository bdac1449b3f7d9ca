"""The path and query parameters of the API, declared once so every route refuses the same way.

Ids and words may not hold control characters: PostgreSQL refuses a NUL in text, and an error
from the database would be a 500 for what is plainly bad input (a 422 here).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from tasklane_agent.api.schemas import Instant

NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
MAX_PAGE = 200

TaskId = Annotated[str, Path(min_length=1, max_length=64, pattern=NO_CONTROL, description="A task id.")]
ProjectId = Annotated[str, Path(min_length=1, max_length=64, pattern=NO_CONTROL, description="A project id.")]
TeamId = Annotated[str, Path(min_length=1, max_length=64, pattern=NO_CONTROL, description="A team id.")]
UserId = Annotated[str, Path(min_length=1, max_length=200, pattern=NO_CONTROL, description="A user id.")]


def _id(description: str) -> object:
    return Query(min_length=1, max_length=200, pattern=NO_CONTROL, description=description)


OwnerFilter = Annotated[str | None, _id("Only the tasks this user owns.")]
AssigneeFilter = Annotated[str | None, _id("Only the tasks assigned to this user.")]
OrgFilter = Annotated[str | None, _id("Only this organisation's (the business phone number id).")]
ProjectFilter = Annotated[str | None, _id("Only this project's.")]
MemberFilter = Annotated[str | None, _id("Only the projects this user is a member of.")]
Words = Annotated[
    str | None, Query(max_length=200, pattern=NO_CONTROL, description="Words the title contains (any case).")
]
DueAfter = Annotated[Instant | None, Query(description="Inclusive; ISO-8601 with an offset (%2B for +).")]
DueBefore = Annotated[Instant | None, Query(description="Exclusive; ISO-8601 with an offset (%2B for +).")]
Overdue = Annotated[bool | None, Query(description="true: only overdue tasks; false: no overdue task.")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
