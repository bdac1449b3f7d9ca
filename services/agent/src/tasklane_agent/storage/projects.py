"""Persistence of projects and their members. Callers own the transaction; nothing commits here."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_agent.domain import Project
from tasklane_agent.domain.names import name_key
from tasklane_agent.storage.rows import project_of
from tasklane_agent.storage.tables import project_members, projects
from tasklane_common.db.dialect import upsert_insert


class ProjectRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert(self, project: Project) -> Project:
        await self.session.execute(
            projects.insert().values(
                id=project.id,
                org_id=project.org_id,
                owner_id=project.owner_id,
                name=project.name,
                name_key=name_key(project.name),
                created_at=project.created_at.astimezone(UTC),
                updated_at=project.updated_at.astimezone(UTC),
            )
        )
        return project

    async def get(self, project_id: str) -> Project | None:
        row = (await self.session.execute(select(projects).where(projects.c.id == project_id))).first()
        return project_of(row) if row is not None else None

    async def by_name(self, org_id: str, name: str, *, member: str | None) -> Project | None:
        """The project called ``name`` (case and accents aside) among those ``member`` belongs to
        (any of the number's, for the admin API), the member's own first."""
        query = select(projects).where(projects.c.org_id == org_id, projects.c.name_key == name_key(name))
        if member is not None:
            query = query.join(
                project_members,
                and_(project_members.c.project_id == projects.c.id, project_members.c.user_id == member),
            ).order_by((projects.c.owner_id != member), projects.c.created_at)
        row = (await self.session.execute(query.limit(1))).first()
        return project_of(row) if row is not None else None

    async def search(self, org_id: str | None, words: str, *, member: str | None) -> list[Project]:
        """Projects whose name contains ``words`` (accent- and case-insensitive); only those
        ``member`` belongs to when given."""
        key = name_key(words)
        query = select(projects).where(projects.c.name_key.contains(key, autoescape=True))
        if org_id is not None:
            query = query.where(projects.c.org_id == org_id)
        if member is not None:
            query = query.join(
                project_members,
                and_(project_members.c.project_id == projects.c.id, project_members.c.user_id == member),
            )
        rows = await self.session.execute(query.order_by(projects.c.name_key).limit(20))
        return [project_of(r) for r in rows]

    async def of_member(self, user_id: str) -> list[Project]:
        rows = await self.session.execute(
            select(projects)
            .join(project_members, project_members.c.project_id == projects.c.id)
            .where(project_members.c.user_id == user_id)
            .order_by(projects.c.name_key)
        )
        return [project_of(r) for r in rows]

    async def in_org(self, org_id: str | None, *, limit: int, offset: int) -> list[Project]:
        query = select(projects)
        if org_id is not None:
            query = query.where(projects.c.org_id == org_id)
        rows = await self.session.execute(query.order_by(projects.c.name_key).limit(limit).offset(offset))
        return [project_of(r) for r in rows]

    async def members(self, project_id: str) -> list[str]:
        rows = await self.session.execute(
            select(project_members.c.user_id)
            .where(project_members.c.project_id == project_id)
            .order_by(project_members.c.added_at, project_members.c.user_id)
        )
        return [r for (r,) in rows.all()]

    async def is_member(self, project_id: str, user_id: str) -> bool:
        row = await self.session.execute(
            select(project_members.c.user_id).where(
                project_members.c.project_id == project_id, project_members.c.user_id == user_id
            )
        )
        return row.first() is not None

    async def add_member(self, project_id: str, user_id: str, at: datetime) -> bool:
        """True when ``user_id`` was not a member yet."""
        insert = upsert_insert(self.session, project_members).values(
            project_id=project_id, user_id=user_id, added_at=at.astimezone(UTC)
        )
        result = await self.session.execute(insert.on_conflict_do_nothing())
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def rename(self, project_id: str, name: str, at: datetime) -> None:
        await self.session.execute(
            projects.update()
            .where(projects.c.id == project_id)
            .values(name=name, name_key=name_key(name), updated_at=at.astimezone(UTC))
        )

    async def delete(self, project_id: str) -> None:
        await self.session.execute(project_members.delete().where(project_members.c.project_id == project_id))
        await self.session.execute(projects.delete().where(projects.c.id == project_id))

    # ------------------------------------------------------------------ admin listing (REST API)

    def _listed(self, org_id: str | None, member: str | None) -> Select[tuple[str]]:
        query = select(projects.c.id)
        if org_id is not None:
            query = query.where(projects.c.org_id == org_id)
        if member is not None:
            query = query.where(
                projects.c.id.in_(
                    select(project_members.c.project_id).where(project_members.c.user_id == member)
                )
            )
        return query

    async def page(self, org_id: str | None, member: str | None, *, limit: int, offset: int) -> list[Project]:
        """Projects of ``org_id`` (any when None) that ``member`` belongs to (any when None), by name."""
        ids = self._listed(org_id, member)
        rows = await self.session.execute(
            select(projects)
            .where(projects.c.id.in_(ids))
            .order_by(projects.c.name_key, projects.c.id)
            .limit(limit)
            .offset(offset)
        )
        return [project_of(r) for r in rows]

    async def count(self, org_id: str | None, member: str | None) -> int:
        found = await self.session.execute(
            select(func.count()).select_from(self._listed(org_id, member).subquery())
        )
        return int(found.scalar_one())

    async def remove_member(self, project_id: str, user_id: str) -> bool:
        """True when ``user_id`` was a member."""
        result = await self.session.execute(
            project_members.delete().where(
                project_members.c.project_id == project_id, project_members.c.user_id == user_id
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
