"""personal records kept per rep count, exercise history index, progress by session

Revision ID: 0008
Revises: 0007

The records are backfilled from the sets already logged, in SQL: for each athlete, exercise
and rep count, the heaviest set (done first among equals), and the heaviest set of the
other sessions.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import setpoint.db.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = """
INSERT INTO exercise_records (
    athlete_id, exercise, reps, set_id, session_id, weight_kg, at,
    other_set_id, other_session_id, other_weight_kg, other_at
)
WITH ranked AS (
    SELECT id, athlete_id, exercise, reps, session_id, weight_kg, at,
        ROW_NUMBER() OVER (
            PARTITION BY athlete_id, exercise, reps ORDER BY weight_kg DESC, at, id
        ) AS rank
    FROM exercise_sets
    WHERE reps > 0
),
best AS (SELECT * FROM ranked WHERE rank = 1),
others AS (
    SELECT r.id, r.athlete_id, r.exercise, r.reps, r.session_id, r.weight_kg, r.at,
        ROW_NUMBER() OVER (
            PARTITION BY r.athlete_id, r.exercise, r.reps ORDER BY r.weight_kg DESC, r.at, r.id
        ) AS rank
    FROM ranked r
    JOIN best b
        ON b.athlete_id = r.athlete_id AND b.exercise = r.exercise AND b.reps = r.reps
        AND b.session_id <> r.session_id
)
SELECT b.athlete_id, b.exercise, b.reps, b.id, b.session_id, b.weight_kg, b.at,
    o.id, o.session_id, o.weight_kg, o.at
FROM best b
LEFT JOIN others o
    ON o.athlete_id = b.athlete_id AND o.exercise = b.exercise AND o.reps = b.reps
    AND o.rank = 1
"""


def upgrade() -> None:
    op.create_table(
        "exercise_records",
        sa.Column("athlete_id", sa.Uuid(), nullable=False),
        sa.Column("exercise", sa.String(length=200), nullable=False),
        sa.Column("reps", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("set_id", sa.BigInteger(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("weight_kg", sa.Double(), nullable=False),
        sa.Column("at", setpoint.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("other_set_id", sa.BigInteger(), nullable=True),
        sa.Column("other_session_id", sa.Uuid(), nullable=True),
        sa.Column("other_weight_kg", sa.Double(), nullable=True),
        sa.Column("other_at", setpoint.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["users.id"],
            name=op.f("fk_exercise_records_athlete_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("athlete_id", "exercise", "reps", name=op.f("pk_exercise_records")),
    )
    with op.batch_alter_table("exercise_sets", schema=None) as batch_op:
        batch_op.drop_index("ix_exercise_sets_athlete_id_exercise")
        batch_op.create_index(
            "ix_exercise_sets_history", ["athlete_id", "exercise", "at", "id"], unique=False
        )
    with op.batch_alter_table("session_progress", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_session_progress_session_id"), ["session_id"])
    op.execute(BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table("session_progress", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_progress_session_id"))
    with op.batch_alter_table("exercise_sets", schema=None) as batch_op:
        batch_op.drop_index("ix_exercise_sets_history")
        batch_op.create_index(
            "ix_exercise_sets_athlete_id_exercise", ["athlete_id", "exercise"], unique=False
        )
    op.drop_table("exercise_records")
