"""Athlete profiles (read, replace, change: the athlete, their coach, or an admin), and heart rate
during a session: ingest, deviation alerts, batched persistence. Flushes, never commits,
except `ingest` and `write_pending`, which own their transactions (they run outside any
request transaction: samples are not commands, and are written in batches)."""

from __future__ import annotations

import asyncio
import json
import math
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.auth import authz
from setpoint.auth.model import Actor
from setpoint.context import Context
from setpoint.db.engine import UnitOfWork
from setpoint.errors import (
    Conflict,
    Forbidden,
    NotFound,
    SetpointError,
    TooManyRequests,
    Unprocessable,
)
from setpoint.heartrate import repository
from setpoint.heartrate import summary as hr_summary
from setpoint.heartrate.deviation import DeviationState, Direction
from setpoint.heartrate.filter import Sample
from setpoint.heartrate.live import HeartRates, HrEvent, Tracker
from setpoint.heartrate.model import Profile, ZoneModel, check_profile
from setpoint.heartrate.owners import HeartRateUnavailable, Owners
from setpoint.heartrate.summary import StoredSample
from setpoint.heartrate.tables import AthleteProfile
from setpoint.heartrate.zones import Zone, segment_bands, zones_for
from setpoint.notifications.model import NotificationType
from setpoint.notifications.service import notify
from setpoint.schedules.cron import parse_time_zone
from setpoint.sessions import machine
from setpoint.sessions import service as sessions_service
from setpoint.sessions.machine import Status
from setpoint.sessions.snapshots import Snapshot, plan_of
from setpoint.sessions.tables import SessionRow

PROFILE_FIELDS = ("max_hr", "resting_hr", "lthr", "ftp_w", "zone_model", "time_zone")
WRITE_CHUNK = 2000  # samples per write transaction, so commands queue behind short writes
TRACKER_BATCH = 200  # trackers made from one read


class SessionNotRunning(Conflict):
    code = "session_not_running"


def _authorize(actor: Actor, user_id: uuid.UUID) -> None:
    authz.check_owner(actor, user_id, f"athlete {user_id}")


async def profile_of(session: AsyncSession, user_id: uuid.UUID) -> Profile:
    """The stored profile, or an empty one (pure value for zones and exports)."""
    row = await session.get(AthleteProfile, user_id)
    return Profile() if row is None else _profile(row)


def _profile(row: AthleteProfile) -> Profile:
    return Profile(row.max_hr, row.resting_hr, row.lthr, row.ftp_w, ZoneModel(row.zone_model))


async def profiles_of(
    session: AsyncSession, user_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Profile]:
    """The stored profiles of `user_ids` (those without one are left out)."""
    return {row.user_id: _profile(row) for row in await repository.profiles(session, user_ids)}


async def get(session: AsyncSession, actor: Actor, user_id: uuid.UUID) -> AthleteProfile | None:
    _authorize(actor, user_id)
    return await session.get(AthleteProfile, user_id)


async def replace(
    ctx: Context, uow: UnitOfWork, actor: Actor, user_id: uuid.UUID, profile: Profile
) -> AthleteProfile:
    """Replace the physiology and the zone model; the time zone is kept."""
    return await change(ctx, uow, actor, user_id, asdict(profile))


async def change(
    ctx: Context, uow: UnitOfWork, actor: Actor, user_id: uuid.UUID, changes: Mapping[str, Any]
) -> AthleteProfile:
    """Set the profile fields named in `changes`; the others keep their value (a new profile
    starts empty, with the `hrmax` model and the `UTC` time zone). The athlete's live
    heart-rate trackers are then made again, with the new zones."""
    session = uow.session
    _authorize(actor, user_id)
    if "time_zone" in changes:
        parse_time_zone(changes["time_zone"])
    row = await session.get(AthleteProfile, user_id)
    if row is None:
        row = AthleteProfile(user_id=user_id, zone_model=ZoneModel.HRMAX.value, time_zone="UTC")
        session.add(row)
    values = {name: getattr(row, name) for name in PROFILE_FIELDS} | dict(changes)
    problems = check_profile(
        Profile(
            values["max_hr"],
            values["resting_hr"],
            values["lthr"],
            values["ftp_w"],
            ZoneModel(values["zone_model"]),
        )
    )
    if problems:
        raise Unprocessable("; ".join(problems), problems=problems)
    for name in PROFILE_FIELDS:
        setattr(row, name, values[name])
    row.updated_at = ctx.clock.now()
    await session.flush()
    uow.after_commit(lambda: ctx.part(Owners).zones_changed(user_id))
    return row


# --- heart rate during a session -----------------------------------------------------------


async def ingest(
    ctx: Context,
    actor: Actor,
    session_id: uuid.UUID,
    samples: Sequence[Sample],
    durable: bool = False,
) -> dict[str, Any]:
    """Take a batch of the athlete's samples: filter them, raise deviation alerts (written at
    once, with their notification), queue the accepted ones for the next batch write (or, if
    `durable`, write them before returning), and push the live view when it changed. What was
    accepted, stored and rejected, and the view.

    The session's tracker runs in one process (`setpoint.heartrate.owners`): another process
    forwards the batch to it and answers with its answer, or its refusal."""
    snap = await sessions_service.snapshot(ctx, actor, session_id)
    if snap.athlete_id != actor.user_id:
        raise Forbidden("only the athlete sends heart rate to their session")
    owners = ctx.part(Owners)
    if owners.holds(session_id) or await owners.route(session_id):
        return await _ingest_here(ctx, snap, samples, durable)
    return _answer_of(await owners.forward(session_id, samples, durable))


async def ingest_forwarded(
    ctx: Context, session_id: uuid.UUID, samples: list[Sample], durable: bool
) -> dict[str, Any]:
    """`ingest` for a batch another process forwarded here (it checked who sent it)."""
    snap = await sessions_service.known_snapshot(ctx, session_id)
    if snap is None:
        raise NotFound(f"session {session_id} does not exist")
    return await _ingest_here(ctx, snap, samples, durable)


REFUSALS: dict[str, type[SetpointError]] = {
    SessionNotRunning.code: SessionNotRunning,
    NotFound.code: NotFound,
}


def _answer_of(reply: dict[str, Any]) -> dict[str, Any]:
    """The owner's reply to a forwarded batch: its answer, or its refusal raised here."""
    if "ok" in reply:
        answer: dict[str, Any] = reply["ok"]
        return answer
    body = reply["error"]
    if body["error"] == TooManyRequests.code:
        raise TooManyRequests(body["detail"], retry_after=int(body["retry_after"]))
    raise REFUSALS.get(body["error"], HeartRateUnavailable)(body["detail"])


async def _ingest_here(
    ctx: Context, snap: Snapshot, samples: Sequence[Sample], durable: bool
) -> dict[str, Any]:
    """`ingest` in the process that runs the session's tracker."""
    session_id = snap.id
    now = ctx.timeline.now()
    deadline = snap.deadline
    if snap.anchors.status is Status.IN_PROGRESS and (deadline is None or now < deadline):
        segment_index = snap.anchors.segment_index  # no boundary since the snapshot
    else:
        state = machine.view(snap.plan, snap.anchors, now)
        if state.status is not Status.IN_PROGRESS:
            raise SessionNotRunning(f"session is {state.status.value}; heart rate needs it running")
        segment_index = state.segment_index
    tracker = ctx.part(HeartRates).get(session_id) or await _tracker(ctx, snap, segment_index)
    if not ctx.part(Owners).holds(session_id):  # lapsed while the tracker was made
        raise HeartRateUnavailable("this session's heart rate is moving to another process")
    wait = tracker.bucket.take(len(samples), now)
    if wait:
        raise TooManyRequests(
            f"samples: more than {tracker.bucket.rate:g}/s for this session; retry later",
            retry_after=math.ceil(ctx.timeline.real_seconds(wait)),
        )

    def segment_at(t: float) -> int:
        """The segment at sample time `t`; before the last command, the one it started."""
        if snap.anchors.status is Status.IN_PROGRESS and (deadline is None or t < deadline):
            return snap.anchors.segment_index  # the anchors' segment until the next boundary
        anchor = snap.anchors.anchor_at
        at = t if anchor is None else max(t, anchor)
        return machine.view(snap.plan, snap.anchors, at).segment_index

    fed = tracker.feed(samples, now, segment_at)
    stored = 0
    if durable and fed.stored:
        try:
            async with ctx.db.transaction() as uow:
                await repository.add_samples(uow.session, [(session_id, r) for r in fed.stored])
        except BaseException:
            ctx.part(HeartRates).queue(session_id, fed.stored)  # the batch write tries again
            raise
        stored = len(fed.stored)
    else:
        ctx.part(HeartRates).queue(session_id, fed.stored)
    view = tracker.view(now, segment_index)
    events = [_event_doc(index, event) for index, event in fed.events]
    if events:
        await _record(ctx, snap, events)
    if events or tracker.due_for_push(view, now):
        message = json.dumps({"type": "heart_rate", "heart_rate": view, "events": events})
        await ctx.hub.publish(f"session:{session_id}", message)
    return {
        "accepted": len(fed.stored),
        "stored": stored,
        "rejected": fed.rejected,
        "heart_rate": view,
    }


async def _tracker(ctx: Context, snap: Snapshot, segment_index: int) -> Tracker:
    """The session's new tracker. Trackers asked for together are made together
    (`_make_trackers`), and a session's is asked for once, however many batches wait for it:
    thousands of sessions starting at once would otherwise take a transaction each, and queue
    behind the connection pool until the reads time out."""
    heart_rates = ctx.part(HeartRates)
    made = heart_rates.making.get(snap.id)
    if made is None:
        made = heart_rates.making[snap.id] = asyncio.get_running_loop().create_future()
        heart_rates.to_make.append((snap, segment_index))
        if heart_rates.maker is None or heart_rates.maker.done():
            heart_rates.maker = asyncio.create_task(_make_trackers(ctx))
    return await asyncio.shield(made)


async def _make_trackers(ctx: Context) -> None:
    """Make the trackers asked for, `TRACKER_BATCH` from one read: the athletes' zones, and the
    deviation alert still open in each session's segment (after a restart, an excursion
    already announced is not announced again)."""
    heart_rates = ctx.part(HeartRates)
    while heart_rates.to_make:
        batch = heart_rates.to_make[:TRACKER_BATCH]
        del heart_rates.to_make[:TRACKER_BATCH]
        try:
            async with ctx.db.transaction(write=False) as uow:
                profiles = await profiles_of(uow.session, {snap.athlete_id for snap, _ in batch})
                alerts = await repository.last_deviation_events(
                    uow.session, [snap.id for snap, _ in batch]
                )
        except Exception as exc:  # those waiting see it; the next ask tries again
            for snap, _ in batch:
                waiting = heart_rates.making.pop(snap.id)
                waiting.set_exception(exc)
                waiting.exception()  # retrieved, even if nobody waits any more
            continue
        for snap, segment_index in batch:
            tracker = heart_rates.get(snap.id)
            if tracker is None:
                zones = zones_for(profiles.get(snap.athlete_id, Profile()))
                tracker = _new_tracker(snap, segment_index, zones, alerts.get(snap.id))
                heart_rates.add(tracker)
            heart_rates.making.pop(snap.id).set_result(tracker)


def _new_tracker(
    snap: Snapshot,
    segment_index: int,
    zones: tuple[Zone, ...] | None,
    last: dict[str, Any] | None,
) -> Tracker:
    deviation = DeviationState()
    if last and last["type"] == "ZoneDeviation" and last["segment_index"] == segment_index:
        side = Direction(last["direction"])  # its `above_at` or `below_at` is the alert's time
        deviation = DeviationState(raised=side, **{f"{side.value}_at": last["at"]})
    bands = segment_bands(snap.plan, zones)
    return Tracker(snap.id, snap.athlete_id, zones, bands, segment_index, deviation)


def _event_doc(segment_index: int, event: HrEvent) -> dict[str, Any]:
    doc = {"type": type(event).__name__, **asdict(event), "segment_index": segment_index}
    doc["bpm"] = round(doc["bpm"], 1)
    return doc


async def _record(ctx: Context, snap: Snapshot, events: list[dict[str, Any]]) -> None:
    async with ctx.db.transaction() as uow:
        row = await sessions_service.locked(uow.session, snap.id)
        if row is None:
            raise NotFound(f"session {snap.id} does not exist")
        sessions_service.log_events(uow.session, row, events)
        for event in events:
            payload = {**event, "session_id": str(snap.id), "workout_name": snap.workout_name}
            kind = NotificationType(event["type"])  # ZoneDeviation or BackInZone
            await notify(ctx, uow, snap.athlete_id, kind, payload, session_id=snap.id)


async def write_pending(ctx: Context) -> int:
    """Write the accepted samples waiting in this process, a chunk per transaction; what a
    failure left unwritten waits for the next try."""
    pending = ctx.part(HeartRates).take_pending()
    for start in range(0, len(pending), WRITE_CHUNK):
        try:
            async with ctx.db.transaction() as uow:
                await repository.add_samples(uow.session, pending[start : start + WRITE_CHUNK])
        except BaseException:
            ctx.part(HeartRates).put_back(pending[start:])
            raise
    return len(pending)


async def summary(
    ctx: Context, session: AsyncSession, actor: Actor, session_id: uuid.UUID
) -> dict[str, Any]:
    """The session's state, its deviation alerts and its heart-rate summary (samples stored,
    and those accepted here and not written yet)."""
    row = await sessions_service.visible(session, actor, session_id)
    heart_rate = await _summarize(ctx, session, row)
    alerts = await repository.deviation_counts(session, session_id)
    return {
        "session": sessions_service.state_of(ctx, row, ctx.timeline.now()),
        "alerts": alerts,
        "heart_rate": hr_summary.to_doc(heart_rate),
    }


async def time_in_target_s(ctx: Context, session: AsyncSession, row: SessionRow) -> float | None:
    """Seconds the session's heart rate was inside its segments' target bands; None when no
    heart rate was recorded in a segment with a target."""
    target = (await _summarize(ctx, session, row)).time_in_target
    return round(target.in_target_s, 1) if target.target_s > 0 else None


async def _summarize(
    ctx: Context, session: AsyncSession, row: SessionRow
) -> hr_summary.HeartRateSummary:
    """The heart-rate summary of samples stored, and those accepted here and not written yet."""
    stored = await repository.samples(session, row.id)
    seen = {s.t for s in stored}
    waiting = [s for s in ctx.part(HeartRates).waiting(row.id) if s.t not in seen]
    samples: list[StoredSample] = sorted([*stored, *waiting], key=lambda s: s.t)
    zones = zones_for(await profile_of(session, row.athlete_id))
    bands = segment_bands(plan_of(ctx, row), zones)
    return hr_summary.summarize(samples, bands, zones)
