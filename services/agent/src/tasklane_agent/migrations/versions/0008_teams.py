"""Teams by consent: who may work together is explicit, no longer "everyone on the same number".

``teams`` are made by an admin (the teams API) or by a member's invitation (one personal team per
inviter); ``team_members`` lists who is in each; ``team_invites`` keeps every invitation and its
answer, so an invitee is asked before anything of the inviter's reaches them, and a declined
invitation is not asked again. Project names become unique per owner instead of per number: an
organisation-wide constraint let anyone learn another user's project names by trying them.

Revision ID: 0008
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tasklane_common.db.migration_ops import real_schema

revision: str = "0008"
down_revision: str | None = "0006"  # TEMP: 0007 once dead-letter records land
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "agent"


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("org_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("name", sa.Text, nullable=True),
        sa.Column("name_key", sa.Text, nullable=True),
        sa.Column("owner_id", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('admin', 'invite')", name=op.f("ck_teams_kind")),
        sa.PrimaryKeyConstraint("id", name="pk_teams"),
        sa.UniqueConstraint("org_id", "name_key", name="uq_teams_org_id_name_key"),
        schema=S,
    )
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(200), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "user_id", name="pk_team_members"),
        schema=S,
    )
    op.create_index("ix_team_members_user_id", "team_members", ["user_id"], schema=S)
    op.create_table(
        "team_invites",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("team_id", sa.String(36), nullable=False),
        sa.Column("org_id", sa.String(200), nullable=False),
        sa.Column("inviter_id", sa.String(200), nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("invitee_id", sa.String(200), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'declined')", name=op.f("ck_team_invites_status")
        ),
        sa.PrimaryKeyConstraint("id", name="pk_team_invites"),
        schema=S,
    )
    op.create_index(
        "ix_team_invites_org_id_address_status", "team_invites", ["org_id", "address", "status"], schema=S
    )
    op.create_index("ix_team_invites_inviter_id_status", "team_invites", ["inviter_id", "status"], schema=S)
    op.create_index("ix_profiles_org_id_address", "profiles", ["org_id", "address"], schema=S)
    with op.batch_alter_table("projects", schema=real_schema()) as batch:
        batch.drop_constraint("uq_projects_org_id_name_key", type_="unique")
        batch.create_unique_constraint("uq_projects_owner_id_name_key", ["owner_id", "name_key"])


def downgrade() -> None:
    with op.batch_alter_table("projects", schema=real_schema()) as batch:
        batch.drop_constraint("uq_projects_owner_id_name_key", type_="unique")
        batch.create_unique_constraint("uq_projects_org_id_name_key", ["org_id", "name_key"])
    op.drop_index("ix_profiles_org_id_address", table_name="profiles", schema=S)
    op.drop_index("ix_team_invites_inviter_id_status", table_name="team_invites", schema=S)
    op.drop_index("ix_team_invites_org_id_address_status", table_name="team_invites", schema=S)
    op.drop_table("team_invites", schema=S)
    op.drop_index("ix_team_members_user_id", table_name="team_members", schema=S)
    op.drop_table("team_members", schema=S)
    op.drop_table("teams", schema=S)
