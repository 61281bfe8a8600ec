"""The stored shape of a plan reads back into the same plan, and serves as the API's segment."""

from __future__ import annotations

from setpoint.workouts.documents import PLAN_VERSION, plan_doc, plan_from_doc, segment_doc
from setpoint.workouts.normalize import normalize
from setpoint.workouts.schemas import SegmentOut, segment_out
from tests.unit.exports.corpus import ENDURANCE, STRENGTH

WORKOUTS = [*ENDURANCE.values(), *STRENGTH.values()]


def test_a_stored_plan_reads_back_into_the_same_plan() -> None:
    for workout in WORKOUTS:
        plan = normalize(workout)
        stored = plan_doc(plan)
        assert stored["version"] == PLAN_VERSION
        assert plan_from_doc(stored) == plan
        legacy = {k: v for k, v in stored.items() if k != "version"}  # written before versions
        assert plan_from_doc(legacy) == plan


def test_a_stored_segment_is_the_segment_the_api_documents() -> None:
    for workout in WORKOUTS:
        for segment in normalize(workout).segments:
            stored = segment_doc(segment)
            assert SegmentOut.model_validate(stored) == segment_out(segment)
            assert set(stored) == set(SegmentOut.model_fields)
