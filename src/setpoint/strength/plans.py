"""What this process knows of strength workouts: each workout revision's exercises by position,
decoded once (a revision never changes), so reading or writing a progress decodes no plan."""

from __future__ import annotations

import uuid
from collections import OrderedDict

from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.strength import model
from setpoint.workouts.model import Exercise
from setpoint.workouts.service import domain_of
from setpoint.workouts.tables import WorkoutRow


def exercises_of(workout: WorkoutRow) -> tuple[Exercise, ...]:
    return model.planned_exercises(domain_of(workout))


class ExercisePlans:
    """The exercises of the workout revisions read lately, least recently used dropped
    beyond `size`."""

    def __init__(self, size: int = 10_000) -> None:
        self._plans: OrderedDict[uuid.UUID, tuple[Exercise, ...]] = OrderedDict()
        self._size = size

    async def of(self, session: AsyncSession, workout_id: uuid.UUID) -> tuple[Exercise, ...]:
        plan = self._plans.get(workout_id)
        if plan is None:
            workout = await session.get(WorkoutRow, workout_id)
            assert workout is not None  # progress and sessions keep their workout
            plan = self.keep(workout)
        else:
            self._plans.move_to_end(workout_id)
        return plan

    def keep(self, workout: WorkoutRow) -> tuple[Exercise, ...]:
        """The workout's exercises, kept for the next reads."""
        plan = self._plans.get(workout.id)
        if plan is None:
            plan = self._plans[workout.id] = exercises_of(workout)
            if len(self._plans) > self._size:
                self._plans.popitem(last=False)
        return plan
