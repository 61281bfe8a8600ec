"""strength progress, exercise sets, session drafts

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import setpoint.db.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("exercises_completed", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("exercises_total", sa.Integer(), nullable=True))
    op.create_table(
        "session_progress",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("athlete_id", sa.Uuid(), nullable=False),
        sa.Column("template_id", sa.Uuid(), nullable=False),
        sa.Column("workout_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("document", JSON_DOC, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", setpoint.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["users.id"],
            name=op.f("fk_session_progress_athlete_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_session_progress_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workout_id"], ["workouts.id"], name=op.f("fk_session_progress_workout_id_workouts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_progress")),
        sa.UniqueConstraint(
            "athlete_id", "template_id", name=op.f("uq_session_progress_athlete_id")
        ),
    )
    op.create_table(
        "exercise_sets",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("athlete_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("exercise", sa.String(length=200), nullable=False),
        sa.Column("weight_kg", sa.Double(), nullable=False),
        sa.Column("reps", sa.Integer(), nullable=False),
        sa.Column("at", setpoint.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["users.id"],
            name=op.f("fk_exercise_sets_athlete_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_exercise_sets_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exercise_sets")),
    )
    with op.batch_alter_table("exercise_sets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_exercise_sets_athlete_id_exercise", ["athlete_id", "exercise"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_exercise_sets_session_id"), ["session_id"])
    op.create_table(
        "session_drafts",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("document", JSON_DOC, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", setpoint.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_session_drafts_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_session_drafts")),
    )


def downgrade() -> None:
    op.drop_table("session_drafts")
    with op.batch_alter_table("exercise_sets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exercise_sets_session_id"))
        batch_op.drop_index("ix_exercise_sets_athlete_id_exercise")
    op.drop_table("exercise_sets")
    op.drop_table("session_progress")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_column("exercises_total")
        batch_op.drop_column("exercises_completed")
