"""Every SQL query of strength. The hot paths (reading a progress, logging a set) are Core
statements on the columns they need: no ORM objects, no session's or workout's plan loaded."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.types import Text

from setpoint.auth.tables import User
from setpoint.db import paging
from setpoint.sessions.tables import SessionRow
from setpoint.strength.records import HeldSet, LoggedSet, RepMax
from setpoint.strength.tables import ExerciseRecord, ExerciseSet, ProgressRow
from setpoint.workouts.tables import WorkoutRow

# --- progress -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredProgress:
    id: uuid.UUID
    athlete_id: uuid.UUID
    workout_id: uuid.UUID
    session_id: uuid.UUID
    document: dict[str, Any]
    revision: int
    updated_at: datetime

    @classmethod
    def of(cls, row: ProgressRow) -> StoredProgress:
        return cls(
            row.id,
            row.athlete_id,
            row.workout_id,
            row.session_id,
            row.document,
            row.revision,
            row.updated_at,
        )


@dataclass(frozen=True, slots=True)
class Attempt:
    """What a progress read needs of a session: whose it is, and when it began."""

    athlete_id: uuid.UUID
    started_at: float | None
    created_at: datetime


# The hot statements are built once, on the tables (Core: no ORM compile step), with
# parameters bound at each execution.
PROGRESS_T, SESSIONS_T, SETS_T, RECORDS_T = (
    row.metadata.tables[row.__tablename__]
    for row in (ProgressRow, SessionRow, ExerciseSet, ExerciseRecord)
)
PROGRESS = tuple(
    PROGRESS_T.c[name]
    for name in (
        "id",
        "athlete_id",
        "workout_id",
        "session_id",
        "document",
        "revision",
        "updated_at",
    )
)
ATTEMPT_AND_PROGRESS = (
    select(
        *PROGRESS,
        SESSIONS_T.c.athlete_id.label("owner_id"),
        SESSIONS_T.c.started_at,
        SESSIONS_T.c.created_at,
    )
    .select_from(SESSIONS_T.outerjoin(PROGRESS_T, PROGRESS_T.c.session_id == SESSIONS_T.c.id))
    .where(SESSIONS_T.c.id == bindparam("session_id"))
)
PROGRESS_HELD = select(*PROGRESS).where(PROGRESS_T.c.session_id == bindparam("session_id"))
PROGRESS_HELD_LOCKED = PROGRESS_HELD.with_for_update()


def _stored(row: Any) -> StoredProgress | None:
    return None if row is None or row.id is None else StoredProgress(*row[: len(PROGRESS)])


async def progress_of(
    session: AsyncSession, athlete_id: uuid.UUID, template_id: uuid.UUID, *, lock: bool = False
) -> ProgressRow | None:
    query = select(ProgressRow).where(
        ProgressRow.athlete_id == athlete_id, ProgressRow.template_id == template_id
    )
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def attempt_and_progress(
    session: AsyncSession, session_id: uuid.UUID
) -> tuple[Attempt | None, StoredProgress | None]:
    """The session, and the progress it writes (None when it writes none, e.g. a newer
    attempt took the progress over), in one query."""
    result = await session.execute(ATTEMPT_AND_PROGRESS, {"session_id": session_id})
    row = result.one_or_none()
    if row is None:
        return None, None
    attempt = Attempt(row.owner_id, row.started_at, row.created_at)
    return attempt, _stored(row)


async def progress_held_by(
    session: AsyncSession, session_id: uuid.UUID, *, lock: bool = False
) -> StoredProgress | None:
    """The progress `session_id` writes, if it writes one."""
    query = PROGRESS_HELD_LOCKED if lock else PROGRESS_HELD
    return _stored((await session.execute(query, {"session_id": session_id})).one_or_none())


async def save_progress(
    session: AsyncSession,
    progress_id: uuid.UUID,
    document: dict[str, Any] | ColumnElement[Any],
    at: datetime,
) -> int:
    """Write the document (or an expression of it, see `with_exercise`); the new revision."""
    revision: int | None = await session.scalar(
        update(ProgressRow)
        .where(ProgressRow.id == progress_id)
        .values(document=document, revision=ProgressRow.revision + 1, updated_at=at)
        .returning(ProgressRow.revision)
    )
    assert revision is not None  # the row is locked by the caller
    return revision


def with_exercise(
    dialect: str, position: int, exercise: dict[str, Any], summary: dict[str, Any]
) -> ColumnElement[Any]:
    """The stored document with one exercise and the summary replaced, in place."""
    if dialect == "postgresql":
        path = literal(["exercises", str(position)], ARRAY(Text))
        changed = func.jsonb_set(ProgressRow.document, path, bindparam(None, exercise, JSONB))
        return func.jsonb_set(
            changed, literal(["summary"], ARRAY(Text)), bindparam(None, summary, JSONB)
        )
    return func.json_set(
        ProgressRow.document,
        f"$.exercises[{position}]",
        func.json(bindparam(None, exercise, JSON)),
        "$.summary",
        func.json(bindparam(None, summary, JSON)),
    )


# --- sets and records -----------------------------------------------------------------------


async def lock_athlete(session: AsyncSession, athlete_id: uuid.UUID) -> None:
    """Writers of one athlete's sets and records take turns (on PostgreSQL; SQLite has one
    writer at a time anyway). `FOR NO KEY UPDATE` leaves rows that refer to the user alone."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            select(User.id).where(User.id == athlete_id).with_for_update(key_share=True)
        )


ADD_SETS = insert(SETS_T).returning(SETS_T.c.id, sort_by_parameter_order=True)


async def add_sets(
    session: AsyncSession,
    athlete_id: uuid.UUID,
    session_id: uuid.UUID,
    exercise: str,
    sets: Sequence[LoggedSet],
) -> list[HeldSet]:
    """Insert the sets, in order; as held sets (with their ids)."""
    if not sets:
        return []
    ids = await session.scalars(
        ADD_SETS,
        [
            {
                "athlete_id": athlete_id,
                "session_id": session_id,
                "exercise": exercise,
                "weight_kg": s.weight_kg,
                "reps": s.reps,
                "at": s.at,
            }
            for s in sets
        ],
    )
    return [HeldSet(i, session_id, *s) for i, s in zip(ids, sets, strict=True)]


async def delete_sets(session: AsyncSession, session_id: uuid.UUID, exercise: str) -> None:
    await session.execute(
        delete(ExerciseSet).where(
            ExerciseSet.session_id == session_id, ExerciseSet.exercise == exercise
        )
    )


async def all_sets(session: AsyncSession, athlete_id: uuid.UUID, exercise: str) -> list[HeldSet]:
    """Every set of the athlete's exercise, oldest first (records are recomputed from it)."""
    rows = await session.execute(
        select(
            ExerciseSet.id,
            ExerciseSet.session_id,
            ExerciseSet.weight_kg,
            ExerciseSet.reps,
            ExerciseSet.at,
        )
        .where(ExerciseSet.athlete_id == athlete_id, ExerciseSet.exercise == exercise)
        .order_by(ExerciseSet.at, ExerciseSet.id)
    )
    return [HeldSet(*row) for row in rows]


async def history_page(
    session: AsyncSession,
    athlete_id: uuid.UUID,
    exercise: str,
    limit: int,
    before: tuple[datetime, int] | None,
) -> list[ExerciseSet]:
    """Up to `limit` sets of the exercise, newest first, older than `before` (`at`, `id`)."""
    query = select(ExerciseSet).where(
        ExerciseSet.athlete_id == athlete_id, ExerciseSet.exercise == exercise
    )
    if before is not None:
        query = query.where(tuple_(ExerciseSet.at, ExerciseSet.id) < tuple_(*before))
    rows = await session.scalars(
        query.order_by(ExerciseSet.at.desc(), ExerciseSet.id.desc()).limit(limit)
    )
    return list(rows)


async def set_position(
    session: AsyncSession, athlete_id: uuid.UUID, exercise: str, set_id: int
) -> tuple[datetime, int] | None:
    """Where a set of the athlete's exercise sits in its history (`at`, `id`)."""
    row = (
        await session.execute(
            select(ExerciseSet.at, ExerciseSet.id).where(
                ExerciseSet.id == set_id,
                ExerciseSet.athlete_id == athlete_id,
                ExerciseSet.exercise == exercise,
            )
        )
    ).one_or_none()
    return None if row is None else (row.at, row.id)


REP_MAXES = select(
    *(
        RECORDS_T.c[name]
        for name in ("exercise", "set_id", "session_id", "weight_kg", "reps", "at")
    ),
    *(RECORDS_T.c[name] for name in ("other_set_id", "other_session_id", "other_weight_kg")),
    RECORDS_T.c.other_at,
).where(
    RECORDS_T.c.athlete_id == bindparam("athlete_id"),
    RECORDS_T.c.exercise.in_(bindparam("exercises", expanding=True)),
)


async def rep_maxes_of(
    session: AsyncSession, athlete_id: uuid.UUID, exercises: Collection[str]
) -> dict[str, dict[int, RepMax]]:
    """The athlete's rep maxes of each exercise, by rep count."""
    params = {"athlete_id": athlete_id, "exercises": list(exercises)}
    rows = await session.execute(REP_MAXES, params)
    maxes: dict[str, dict[int, RepMax]] = {}
    for r in rows:
        best = HeldSet(r.set_id, r.session_id, r.weight_kg, r.reps, r.at)
        other = None
        if r.other_set_id is not None:
            other = HeldSet(
                r.other_set_id, r.other_session_id, r.other_weight_kg, r.reps, r.other_at
            )
        maxes.setdefault(r.exercise, {})[r.reps] = RepMax(best, other)
    return maxes


async def write_rep_maxes(
    session: AsyncSession,
    athlete_id: uuid.UUID,
    exercise: str,
    maxes: Mapping[int, RepMax],
    *,
    replace_all: bool = False,
) -> None:
    """Store these rep maxes of the exercise in place of the stored ones of the same rep
    counts (of every rep count, with `replace_all`)."""
    gone = delete(ExerciseRecord).where(
        ExerciseRecord.athlete_id == athlete_id, ExerciseRecord.exercise == exercise
    )
    if not replace_all:
        if not maxes:
            return
        gone = gone.where(ExerciseRecord.reps.in_(list(maxes)))
    await session.execute(gone)
    if maxes:
        await session.execute(
            insert(ExerciseRecord), list(_record_rows(athlete_id, exercise, maxes))
        )


def _record_rows(
    athlete_id: uuid.UUID, exercise: str, maxes: Mapping[int, RepMax]
) -> Iterable[dict[str, Any]]:
    for reps, m in maxes.items():
        other = m.other
        yield {
            "athlete_id": athlete_id,
            "exercise": exercise,
            "reps": reps,
            "set_id": m.best.set_id,
            "session_id": m.best.session_id,
            "weight_kg": m.best.weight_kg,
            "at": m.best.at,
            "other_set_id": None if other is None else other.set_id,
            "other_session_id": None if other is None else other.session_id,
            "other_weight_kg": None if other is None else other.weight_kg,
            "other_at": None if other is None else other.at,
        }


# --- attempts -------------------------------------------------------------------------------


async def attempts(
    session: AsyncSession, athlete_id: uuid.UUID, template_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[SessionRow], int]:
    """The athlete's sessions of any revision of the template, newest first."""
    query = (
        select(SessionRow)
        .join(WorkoutRow, WorkoutRow.id == SessionRow.workout_id)
        .where(SessionRow.athlete_id == athlete_id, WorkoutRow.origin_id == template_id)
        .order_by(SessionRow.created_at.desc(), SessionRow.id)
    )
    return await paging.page(session, query, limit, offset)
