"""heart-rate samples

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "heart_rate_samples",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("t", sa.Double(), nullable=False),
        sa.Column("bpm", sa.Double(), nullable=False),
        sa.Column("raw_bpm", sa.SmallInteger(), nullable=False),
        sa.Column("segment_index", sa.Integer(), nullable=False),
        sa.Column("rr", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_heart_rate_samples_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "t", name=op.f("pk_heart_rate_samples")),
    )


def downgrade() -> None:
    op.drop_table("heart_rate_samples")
