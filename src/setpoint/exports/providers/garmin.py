"""Garmin Training API client: a workout in the library, scheduled on the athlete's date.

- create: `POST /workoutportal/workout/v2` (answer: `workoutId`), then
  `POST /training-api/schedule/` `{workoutId, date}` (answer: the schedule id, as a bare JSON
  number or an object with `workoutScheduleId`);
- content changed: `PUT /training-api/workout/v2/{workoutId}` (the id, and so the
  schedule, stay); date changed: `PUT /training-api/schedule/{scheduleId}`;
- withdraw: `DELETE` the schedule, then the workout (Garmin refuses to delete a workout
  that is still scheduled);
- a push that finds the workout but no schedule id (an earlier attempt stopped after the
  schedule request) first looks for that workout's schedule around the date and adopts it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from setpoint.errors import CannotExport
from setpoint.exports.formats import garmin as garmin_format
from setpoint.exports.providers.base import (
    Api,
    Client,
    OnIds,
    PushItem,
    RemoteCopy,
    TokenSource,
    fingerprint,
)
from setpoint.exports.providers.errors import Permanent, Transient

NAME = "garmin"
MAX_STEPS = 100
ADOPT_WINDOW = timedelta(days=14)

WORKOUT_CREATE = "/workoutportal/workout/v2"
WORKOUT = "/training-api/workout/v2/{id}"
SCHEDULE_CREATE = "/training-api/schedule/"
SCHEDULE = "/training-api/schedule/{id}"
SCHEDULE_LIST = "/training-api/schedule"
REGISTRATION = "/wellness-api/rest/user/registration"


def count_steps(steps: list[dict[str, Any]]) -> int:
    """Every step and repeat of a workout JSON's step tree."""
    return sum(1 + count_steps(s.get("steps", [])) for s in steps)


def workout_body(item: PushItem) -> dict[str, Any]:
    """The workout JSON to send; Permanent when Garmin cannot hold it."""
    try:
        body = garmin_format.workout_json(item.named_workout(), item.writer_context())
    except CannotExport as exc:
        raise Permanent(f"Garmin cannot hold this workout: {exc.detail}", NAME) from None
    steps = sum(count_steps(segment["steps"]) for segment in body["segments"])
    if steps > MAX_STEPS:
        raise Permanent(
            f"Garmin holds at most {MAX_STEPS} steps in a workout and this one has {steps}; "
            "shorten it or merge repeats",
            NAME,
        )
    return body


def schedule_id_of(answer: Any) -> str:
    """The new schedule's id: a bare number (or string), or `workoutScheduleId` / `id`."""
    if isinstance(answer, dict):
        answer = answer.get("workoutScheduleId", answer.get("id"))
    if isinstance(answer, bool) or not isinstance(answer, int | str) or answer == "":
        raise Transient("Garmin answered the schedule request without a schedule id", NAME)
    return str(answer)


class GarminClient(Client):
    name = NAME

    def check(self, item: PushItem) -> None:
        workout_body(item)

    async def push(
        self, item: PushItem, known: RemoteCopy | None, tokens: TokenSource, on_ids: OnIds
    ) -> RemoteCopy:
        body = workout_body(item)
        content = fingerprint(body)
        api = self._api(tokens)
        copy = known if known is not None and known.provider == NAME else RemoteCopy(NAME)
        created = False
        if copy.workout_id is not None and copy.fingerprint != content:
            path = WORKOUT.format(id=copy.workout_id)
            if await api.call("PUT", path, json_body=body, missing_ok=True) is None:
                copy = RemoteCopy(NAME)  # deleted on Garmin's side: make it again
            else:
                copy = replace(copy, fingerprint=content)
                await on_ids(copy)
        if copy.workout_id is None:
            answer = await api.json("POST", WORKOUT_CREATE, json_body=body)
            workout_id = answer.get("workoutId") if isinstance(answer, dict) else None
            if workout_id is None:
                raise Transient("Garmin answered the new workout without its id", NAME)
            copy = RemoteCopy(NAME, workout_id=str(workout_id), fingerprint=content)
            created = True
            await on_ids(copy)
        assert copy.workout_id is not None
        schedule = {"workoutId": _number(copy.workout_id), "date": item.local_date.isoformat()}
        if copy.schedule_id is None and not created:
            found = await self._find_schedule(api, copy, item)
            if found is not None:
                copy = replace(copy, schedule_id=found[0], scheduled_on=found[1])
                await on_ids(copy)
        if copy.schedule_id is not None and copy.scheduled_on != item.local_date:
            path = SCHEDULE.format(id=copy.schedule_id)
            if await api.call("PUT", path, json_body=schedule, missing_ok=True) is None:
                copy = replace(copy, schedule_id=None, scheduled_on=None)
            else:
                copy = replace(copy, scheduled_on=item.local_date)
                await on_ids(copy)
        if copy.schedule_id is None:
            answer = await api.json("POST", SCHEDULE_CREATE, json_body=schedule)
            copy = replace(copy, schedule_id=schedule_id_of(answer), scheduled_on=item.local_date)
            await on_ids(copy)
        return copy

    async def _find_schedule(
        self, api: Api, copy: RemoteCopy, item: PushItem
    ) -> tuple[str, date | None] | None:
        """An existing schedule of this workout near the date (left by an interrupted push)."""
        params = {
            "startDate": (item.local_date - ADOPT_WINDOW).isoformat(),
            "endDate": (item.local_date + ADOPT_WINDOW).isoformat(),
        }
        answer = await api.json("GET", SCHEDULE_LIST, params=params)
        for entry in answer if isinstance(answer, list) else []:
            if isinstance(entry, dict) and str(entry.get("workoutId")) == copy.workout_id:
                schedule_id = entry.get("workoutScheduleId", entry.get("id"))
                if schedule_id is not None and entry.get("date"):
                    return str(schedule_id), _date(str(entry["date"]))
        return None

    async def withdraw(self, known: RemoteCopy, tokens: TokenSource, on_ids: OnIds) -> None:
        api = self._api(tokens)
        copy = known
        if copy.schedule_id is not None:
            await api.call("DELETE", SCHEDULE.format(id=copy.schedule_id), missing_ok=True)
            copy = replace(copy, schedule_id=None, scheduled_on=None)
            await on_ids(copy)
        if copy.workout_id is not None:
            await api.call("DELETE", WORKOUT.format(id=copy.workout_id), missing_ok=True)
            copy = replace(copy, workout_id=None, fingerprint=None)
            await on_ids(copy)

    async def disconnect(self, tokens: TokenSource) -> None:
        await self._api(tokens).call("DELETE", REGISTRATION, missing_ok=True)


def _number(workout_id: str) -> int | str:
    """Garmin's ids are numbers: send them back as numbers."""
    return int(workout_id) if workout_id.isdigit() else workout_id


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None
