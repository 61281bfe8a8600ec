"""Wahoo Cloud API client: a plan (the workout's content) and a workout (its date).

- create: adopt the plan uploaded earlier for this planned session
  (`GET /v1/plans?external_id=`), else `POST /v1/plans` (form: `plan[file]` as a base64
  data URL of the plan JSON, `plan[filename]`, `plan[external_id]`,
  `plan[provider_updated_at]`); then `POST /v1/workouts` (`workout[name]`,
  `workout[workout_token]`, `workout[workout_type_id]`, `workout[starts]`,
  `workout[minutes]`, `workout[day_code]`, `workout[plan_id]`);
- changes: `PUT /v1/plans/{id}` for the content, `PUT /v1/workouts/{id}` for the date,
  name or length;
- withdraw: `DELETE` the workout, then the plan.

`external_id` and `workout_token` are the planned session's id. `starts` is noon of the
local date in the athlete's zone: far enough from midnight that no reader converting it to
another zone moves it to another day; `day_code` carries the date without any time.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import replace
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from setpoint.errors import CannotExport
from setpoint.exports.formats import _common
from setpoint.exports.formats import wahoo as wahoo_format
from setpoint.exports.providers.base import (
    Api,
    Client,
    OnIds,
    PushItem,
    RemoteCopy,
    TokenSource,
    day_code,
    fingerprint,
)
from setpoint.exports.providers.errors import Permanent, Transient
from setpoint.workouts.model import Sport
from setpoint.workouts.normalize import normalize

NAME = "wahoo"
LOCAL_START = time(12, 0)
WORKOUT_TYPES: dict[Sport, int] = {Sport.BIKE: 0, Sport.RUN: 1, Sport.TREADMILL: 5}

PLANS = "/v1/plans"
PLAN = "/v1/plans/{id}"
WORKOUTS = "/v1/workouts"
WORKOUT = "/v1/workouts/{id}"
PERMISSIONS = "/v1/permissions"


def plan_body(item: PushItem) -> dict[str, Any]:
    """The plan JSON; Permanent when Wahoo cannot hold the workout."""
    try:
        return wahoo_format.plan_json(item.named_workout(), item.writer_context())
    except CannotExport as exc:
        raise Permanent(f"Wahoo cannot hold this workout: {exc.detail}", NAME) from None


def plan_file(plan: dict[str, Any]) -> str:
    """The plan as the data URL `plan[file]` takes."""
    raw = json.dumps(plan, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return "data:application/json;base64," + base64.b64encode(raw).decode("ascii")


def plan_form(item: PushItem, plan: dict[str, Any], updated_at: datetime) -> dict[str, str]:
    return {
        "plan[file]": plan_file(plan),
        "plan[filename]": f"{_common.slug(item.name)}.json",
        "plan[external_id]": str(item.planned_session_id),
        "plan[provider_updated_at]": updated_at.astimezone(UTC).isoformat(),
    }


def minutes(item: PushItem) -> int:
    """The workout's length in whole minutes (its timed steps; at least 1)."""
    seconds = sum(s.duration_s or 0 for s in normalize(item.workout).segments)
    return max(1, math.ceil(seconds / 60))


def starts(item: PushItem) -> str:
    """Noon of the local date, ISO-8601 with the athlete's UTC offset."""
    try:
        zone = ZoneInfo(item.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Permanent(f"unknown time zone {item.time_zone!r}", NAME) from None
    return datetime.combine(item.local_date, LOCAL_START, zone).isoformat()


def workout_form(item: PushItem, plan_id: str) -> dict[str, str]:
    return {
        "workout[name]": item.name,
        "workout[workout_token]": str(item.planned_session_id),
        "workout[workout_type_id]": str(WORKOUT_TYPES[item.sport]),
        "workout[starts]": starts(item),
        "workout[minutes]": str(minutes(item)),
        "workout[day_code]": str(day_code(item.local_date)),
        "workout[plan_id]": plan_id,
    }


def content_of(item: PushItem, plan: dict[str, Any]) -> str:
    """What the copy's fingerprint covers: the plan and the workout's fields but the date."""
    return fingerprint(plan, item.name, WORKOUT_TYPES[item.sport], minutes(item))


class WahooClient(Client):
    name = NAME

    def check(self, item: PushItem) -> None:
        plan_body(item)
        starts(item)

    async def push(
        self, item: PushItem, known: RemoteCopy | None, tokens: TokenSource, on_ids: OnIds
    ) -> RemoteCopy:
        plan = plan_body(item)
        form = plan_form(item, plan, self._now())
        starts(item)
        content = content_of(item, plan)
        api = self._api(tokens)
        copy = known if known is not None and known.provider == NAME else RemoteCopy(NAME)
        changed = copy.fingerprint != content

        if copy.schedule_id is not None and changed:
            path = PLAN.format(id=copy.schedule_id)
            if await api.call("PUT", path, form=form, missing_ok=True) is None:
                copy = replace(copy, schedule_id=None)
        if copy.schedule_id is None:
            plan_id = await self._adopt_plan(api, item)
            if plan_id is not None:
                await api.call("PUT", PLAN.format(id=plan_id), form=form)
            else:
                plan_id = _id_of(await api.json("POST", PLANS, form=form), "plan")
            copy = replace(copy, schedule_id=plan_id)
            changed = True  # the workout must point at this plan
            await on_ids(copy)

        assert copy.schedule_id is not None
        fields = workout_form(item, copy.schedule_id)
        if copy.workout_id is not None and (changed or copy.scheduled_on != item.local_date):
            path = WORKOUT.format(id=copy.workout_id)
            if await api.call("PUT", path, form=fields, missing_ok=True) is None:
                copy = replace(copy, workout_id=None)
            else:
                copy = replace(copy, scheduled_on=item.local_date, fingerprint=content)
                await on_ids(copy)
        if copy.workout_id is None:
            workout_id = _id_of(await api.json("POST", WORKOUTS, form=fields), "workout")
            copy = replace(
                copy, workout_id=workout_id, scheduled_on=item.local_date, fingerprint=content
            )
            await on_ids(copy)
        return copy

    async def _adopt_plan(self, api: Api, item: PushItem) -> str | None:
        """The id of a plan uploaded earlier for this planned session, if there is one."""
        external_id = str(item.planned_session_id)
        answer = await api.json("GET", PLANS, params={"external_id": external_id})
        plans = answer.get("plans", []) if isinstance(answer, dict) else answer
        for plan in plans if isinstance(plans, list) else []:
            if isinstance(plan, dict) and plan.get("external_id") in (None, external_id):
                return _id_of(plan, "plan")
        return None

    async def withdraw(self, known: RemoteCopy, tokens: TokenSource, on_ids: OnIds) -> None:
        api = self._api(tokens)
        copy = known
        if copy.workout_id is not None:
            await api.call("DELETE", WORKOUT.format(id=copy.workout_id), missing_ok=True)
            copy = replace(copy, workout_id=None, scheduled_on=None, fingerprint=None)
            await on_ids(copy)
        if copy.schedule_id is not None:
            await api.call("DELETE", PLAN.format(id=copy.schedule_id), missing_ok=True)
            copy = replace(copy, schedule_id=None)
            await on_ids(copy)

    async def disconnect(self, tokens: TokenSource) -> None:
        await self._api(tokens).call("DELETE", PERMISSIONS, missing_ok=True)


def _id_of(answer: Any, what: str) -> str:
    value = answer.get("id") if isinstance(answer, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        raise Transient(f"Wahoo answered the new {what} without its id", NAME)
    return str(value)
