"""The Workout JSON (docs/api.md) (request and response models) and its mapping to the domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from setpoint.workouts import model as m
from setpoint.workouts.normalize import Plan, Segment

Name = Annotated[str, Field(min_length=1, max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- durations and targets: flat, so error paths are the user's own JSON paths; which fields
# a type needs is a domain rule (model.validate), reported as e.g. `steps[2].duration.seconds`.


class DurationIn(_Strict):
    type: m.DurationType
    seconds: int | None = None
    meters: float | None = None
    reps: int | None = None


class TargetIn(_Strict):
    type: m.TargetType
    zone: int | None = None
    low: float | None = None
    high: float | None = None
    value: float | None = None


# --- strength -------------------------------------------------------------------------------


class CircuitMoveIn(_Strict):
    name: Name
    reps: int
    weight_kg: float | None = None


class ExerciseIn(_Strict):
    name: Name
    type: m.ExerciseType
    sets: int | None = None
    reps: int | None = None
    weight_kg: float | None = None
    rest_s: int | None = None
    minutes: int | None = None
    cap_s: int | None = None
    rounds: int | None = None
    exercises: list[CircuitMoveIn] | None = Field(default=None, max_length=30)


# --- steps and workouts -----------------------------------------------------------------------


class StepIn(_Strict):
    intensity: m.Intensity
    name: Annotated[str, Field(max_length=100)] | None = None
    duration: DurationIn | None = None
    targets: list[TargetIn] = Field(default_factory=list, max_length=9)
    exercise: ExerciseIn | None = None
    notes: Annotated[str, Field(max_length=1000)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _exercises_are_active_work(cls, value: Any) -> Any:
        """A strength step needs no intensity: its sets are `active` work (rests are
        added by the exercise type)."""
        if isinstance(value, dict) and "exercise" in value and "intensity" not in value:
            return {**value, "intensity": m.Intensity.ACTIVE.value}
        return value


class RepeatIn(_Strict):
    repeat: int
    steps: list[BlockIn] = Field(max_length=200)


def _block_tag(value: object) -> str:
    if isinstance(value, dict):
        return "repeat" if "repeat" in value else "step"
    return "repeat" if isinstance(value, RepeatIn) else "step"


BlockIn = Annotated[
    Annotated[StepIn, Tag("step")] | Annotated[RepeatIn, Tag("repeat")],
    Discriminator(_block_tag),
]
RepeatIn.model_rebuild()


class WorkoutIn(_Strict):
    name: Name
    sport: m.Sport
    description: Annotated[str, Field(max_length=2000)] | None = None
    steps: list[BlockIn] = Field(max_length=200)
    athlete_id: UUID | None = Field(
        default=None, description="A coach authoring for one of their athletes: the owner."
    )

    def to_domain(self) -> m.Workout:
        return m.Workout(self.name, self.sport, _blocks(self.steps), self.description)

    def document(self) -> dict[str, object]:
        """The authoring document as stored: what the user wrote, without routing fields."""
        return self.model_dump(mode="json", exclude_none=True, exclude={"athlete_id"})

    @classmethod
    def from_domain(cls, workout: m.Workout) -> WorkoutIn:
        return cls.model_validate(
            {
                "name": workout.name,
                "sport": workout.sport,
                "description": workout.description,
                "steps": [_block_doc(b) for b in workout.steps],
            }
        )


def _blocks(items: list[StepIn | RepeatIn]) -> tuple[m.Block, ...]:
    return tuple(
        m.Repeat(item.repeat, _blocks(item.steps)) if isinstance(item, RepeatIn) else _step(item)
        for item in items
    )


def _step(item: StepIn) -> m.Step:
    d = item.duration
    duration = None if d is None else m.Duration(d.type, d.seconds, d.meters, d.reps)
    exercise = None
    if item.exercise is not None:
        e = item.exercise
        exercise = m.Exercise(
            e.name,
            e.type,
            e.sets,
            e.reps,
            e.weight_kg,
            e.rest_s,
            e.minutes,
            e.cap_s,
            e.rounds,
            tuple(m.CircuitMove(x.name, x.reps, x.weight_kg) for x in e.exercises or ()),
        )
    return m.Step(
        item.intensity,
        duration,
        item.name,
        tuple(m.Target(t.type, t.low, t.high, t.zone, t.value) for t in item.targets),
        exercise,
        item.notes,
    )


def _block_doc(block: m.Block) -> dict[str, object]:
    if isinstance(block, m.Repeat):
        return {"repeat": block.count, "steps": [_block_doc(b) for b in block.steps]}
    doc: dict[str, object] = {
        "intensity": block.intensity,
        "name": block.name,
        "notes": block.notes,
    }
    if block.duration is not None:
        d = block.duration
        doc["duration"] = {"type": d.type, "seconds": d.seconds, "meters": d.meters, "reps": d.reps}
    doc["targets"] = [target_doc(t) for t in block.targets]
    if block.exercise is not None:
        e = block.exercise
        doc["exercise"] = {
            "name": e.name,
            "type": e.type,
            "sets": e.sets,
            "reps": e.reps,
            "weight_kg": e.weight_kg,
            "rest_s": e.rest_s,
            "minutes": e.minutes,
            "cap_s": e.cap_s,
            "rounds": e.rounds,
            "exercises": [
                {"name": x.name, "reps": x.reps, "weight_kg": x.weight_kg} for x in e.exercises
            ]
            or None,
        }
    return _drop_none(doc)


def target_doc(t: m.Target) -> dict[str, object]:
    return _drop_none(
        {"type": t.type, "zone": t.zone, "low": t.low, "high": t.high, "value": t.value}
    )


def _drop_none(doc: dict[str, object]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in doc.items():
        if isinstance(value, dict):
            value = _drop_none(value)
        if value is not None:
            out[key] = value
    return out


# --- generation ------------------------------------------------------------------------------


class ConstraintsIn(_Strict):
    max_speed_mps: float | None = None
    min_speed_mps: float | None = None
    max_incline_pct: float | None = None
    ftp_w: int | None = None
    min_segment_s: int | None = None
    max_segment_s: int | None = None


class GenerateIn(_Strict):
    sport: Literal["treadmill", "bike"]
    duration_min: int
    goal: Literal["endurance", "intervals", "hills", "tempo", "recovery", "fat_burn"]
    level: Literal["beginner", "intermediate", "advanced"] = "intermediate"
    seed: int | None = None
    constraints: ConstraintsIn = Field(default_factory=ConstraintsIn)
    athlete_id: UUID | None = None


class RegenerateIn(_Strict):
    seed: int | None = None


# --- responses --------------------------------------------------------------------------------


class SegmentExerciseOut(BaseModel):
    position: int
    name: str
    type: m.ExerciseType
    kind: str
    reps: int | None = None
    weight_kg: float | None = None
    set: int | None = None
    sets: int | None = None
    minute: int | None = None
    minutes: int | None = None
    round: int | None = None
    rounds: int | None = None


class SegmentOut(BaseModel):
    index: int
    name: str
    intensity: m.Intensity
    duration_type: m.DurationType
    duration_s: int | None
    offset_s: int
    distance_m: float | None = None
    reps: int | None = None
    targets: list[dict[str, object]]
    exercise: SegmentExerciseOut | None = None


def segment_out(segment: Segment) -> SegmentOut:
    ex = segment.exercise
    return SegmentOut(
        index=segment.index,
        name=segment.name,
        intensity=segment.intensity,
        duration_type=segment.duration_type,
        duration_s=segment.duration_s,
        offset_s=segment.offset_s,
        distance_m=segment.distance_m,
        reps=segment.reps,
        targets=[target_doc(t) for t in segment.targets],
        exercise=None
        if ex is None
        else SegmentExerciseOut.model_validate(ex, from_attributes=True),
    )


def plan_out(plan: Plan) -> list[SegmentOut]:
    return [segment_out(s) for s in plan.segments]


class WorkoutOut(BaseModel):
    id: UUID
    name: str
    sport: m.Sport
    description: str | None
    owner_id: UUID
    created_by_id: UUID
    revision: int
    origin_id: UUID
    latest: bool
    parent_id: UUID | None
    inputs: dict[str, object] | None
    seed: int | None
    created_at: datetime
    steps: list[dict[str, object]]
    segments: list[SegmentOut]
    total_duration_s: int | None


class ValidationOut(BaseModel):
    """A Workout JSON checked without storing it: valid with its normalized plan, or not
    valid with every problem (`steps[1].targets[0]: low 170 > high 160`)."""

    valid: bool
    segments: list[SegmentOut] = Field(default_factory=list)
    total_duration_s: int | None = None
    problems: list[str] = Field(default_factory=list)


class WorkoutSummaryOut(BaseModel):
    id: UUID
    name: str
    sport: m.Sport
    owner_id: UUID
    revision: int
    origin_id: UUID
    latest: bool
    parent_id: UUID | None
    seed: int | None
    total_duration_s: int | None
    segment_count: int
    created_at: datetime


class WorkoutPage(BaseModel):
    items: list[WorkoutSummaryOut]
    total: int
    limit: int
    offset: int
