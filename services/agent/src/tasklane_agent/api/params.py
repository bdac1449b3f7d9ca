"""The path and query parameters of the API, declared once so every route refuses the same way.

The shapes themselves (no control characters, pages within a BIGINT) are the ones every service
shares, from ``tasklane_common.params``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from tasklane_agent.api.schemas import Instant
from tasklane_common.params import NO_CONTROL, limit_query
from tasklane_common.params import Offset as Offset

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
Limit = Annotated[int, limit_query(MAX_PAGE)]
