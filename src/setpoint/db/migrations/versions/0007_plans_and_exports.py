"""plans, device connections and exports

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import setpoint.db.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "device_connections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("primary", sa.Boolean(), nullable=False),
        sa.Column("access_token_encrypted", sa.String(length=4000), nullable=False),
        sa.Column("refresh_token_encrypted", sa.String(length=4000), nullable=False),
        sa.Column("expires_at", setpoint.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("connected_at", setpoint.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", setpoint.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_device_connections_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_connections")),
        sa.UniqueConstraint("user_id", "provider", name=op.f("uq_device_connections_user_id")),
    )
    with op.batch_alter_table("device_connections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_device_connections_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "export_withdrawals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("athlete_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("planned_session_id", sa.Uuid(), nullable=False),
        sa.Column("external_workout_id", sa.String(length=100), nullable=True),
        sa.Column("external_schedule_id", sa.String(length=100), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("next_attempt_at", sa.Double(), nullable=True),
        sa.Column("lease_until", sa.Double(), nullable=True),
        sa.Column("created_at", setpoint.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["users.id"],
            name=op.f("fk_export_withdrawals_athlete_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_withdrawals")),
    )
    with op.batch_alter_table("export_withdrawals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_export_withdrawals_athlete_id"), ["athlete_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_export_withdrawals_next_attempt_at"), ["next_attempt_at"], unique=False
        )

    op.create_table(
        "oauth_states",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("verifier_encrypted", sa.String(length=500), nullable=False),
        sa.Column("expires_at", setpoint.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", setpoint.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_oauth_states_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("state_hash", name=op.f("pk_oauth_states")),
    )
    op.create_table(
        "weekly_plans",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("athlete_id", sa.Uuid(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", setpoint.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", setpoint.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["users.id"],
            name=op.f("fk_weekly_plans_athlete_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_weekly_plans_created_by_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weekly_plans")),
        sa.UniqueConstraint("athlete_id", "week_start", name=op.f("uq_weekly_plans_athlete_id")),
    )
    op.create_table(
        "planned_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("athlete_id", sa.Uuid(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("workout_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", setpoint.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", setpoint.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["users.id"],
            name=op.f("fk_planned_sessions_athlete_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["weekly_plans.id"],
            name=op.f("fk_planned_sessions_plan_id_weekly_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_planned_sessions_session_id_sessions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workout_id"], ["workouts.id"], name=op.f("fk_planned_sessions_workout_id_workouts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planned_sessions")),
    )
    with op.batch_alter_table("planned_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_planned_sessions_athlete_id"), ["athlete_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_planned_sessions_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_planned_sessions_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "plan_exports",
        sa.Column("planned_session_id", sa.Uuid(), nullable=False),
        sa.Column("athlete_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=True),
        sa.Column("external_workout_id", sa.String(length=100), nullable=True),
        sa.Column("external_schedule_id", sa.String(length=100), nullable=True),
        sa.Column("remote_date", sa.Date(), nullable=True),
        sa.Column("remote_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("exported_at", setpoint.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.Double(), nullable=True),
        sa.Column("lease_until", sa.Double(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", setpoint.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["users.id"],
            name=op.f("fk_plan_exports_athlete_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["planned_session_id"],
            ["planned_sessions.id"],
            name=op.f("fk_plan_exports_planned_session_id_planned_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("planned_session_id", name=op.f("pk_plan_exports")),
    )
    with op.batch_alter_table("plan_exports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_exports_athlete_id"), ["athlete_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_plan_exports_next_attempt_at"), ["next_attempt_at"], unique=False
        )

    with op.batch_alter_table("athlete_profiles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("time_zone", sa.String(length=64), server_default="UTC", nullable=False)
        )

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("planned_session_id", sa.Uuid(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_notifications_planned_session_id"), ["planned_session_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_notifications_planned_session_id_planned_sessions"),
            "planned_sessions",
            ["planned_session_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_notifications_planned_session_id_planned_sessions"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_notifications_planned_session_id"))
        batch_op.drop_column("planned_session_id")

    with op.batch_alter_table("athlete_profiles", schema=None) as batch_op:
        batch_op.drop_column("time_zone")

    with op.batch_alter_table("plan_exports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_exports_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_plan_exports_athlete_id"))

    op.drop_table("plan_exports")
    with op.batch_alter_table("planned_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_planned_sessions_session_id"))
        batch_op.drop_index(batch_op.f("ix_planned_sessions_plan_id"))
        batch_op.drop_index(batch_op.f("ix_planned_sessions_athlete_id"))

    op.drop_table("planned_sessions")
    op.drop_table("weekly_plans")
    op.drop_table("oauth_states")
    with op.batch_alter_table("export_withdrawals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_export_withdrawals_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_export_withdrawals_athlete_id"))

    op.drop_table("export_withdrawals")
    with op.batch_alter_table("device_connections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_connections_user_id"))

    op.drop_table("device_connections")
