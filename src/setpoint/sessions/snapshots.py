"""What this process knows of sessions: immutable snapshots of session rows, so the hot reads
(`GET /api/sessions/{id}`, heart-rate ingest) need no database round trip.

The state is a pure function of the anchors and `now`, so a snapshot stays right until the
session changes. A change committed here replaces the snapshot; a change committed by another
process reaches this one through the hub (its `update` message carries the new revision) and
drops the snapshot. With Redis, messages can be missed only while the hub's reader
reconnects, and the hub then says so (`Hub.on_gap`): every snapshot is read again within
`GAP_SPREAD_S`. Entries are also read again after between half and all of `ttl_s`: a safety
net that bounds how long a snapshot can be stale. Both are spread, so that the thousands of
snapshots read when the sockets connected are not all read again in the same second (a
database read each, which queue behind the connection pool). Without Redis every change is
made here, and entries do not expire.
"""

from __future__ import annotations

import json
import math
import random
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from setpoint.context import Context
from setpoint.sessions.machine import Anchors, Status, next_deadline
from setpoint.sessions.tables import SessionRow
from setpoint.workers.hub import Hub
from setpoint.workouts.documents import plan_from_doc
from setpoint.workouts.normalize import Plan

TOPIC_PREFIX = "session:"
TTL_WITH_REDIS_S = 300.0
GAP_SPREAD_S = 10.0


@dataclass(frozen=True, slots=True)
class Snapshot:
    id: uuid.UUID
    athlete_id: uuid.UUID
    workout_id: uuid.UUID
    workout_name: str
    plan_json: dict[str, Any]
    plan: Plan
    anchors: Anchors
    revision: int
    # The next boundary (None: none while nobody acts): until then the anchors' status and
    # segment are the session's, so the heart-rate hot path needs no `machine.view`.
    deadline: float | None = field(init=False)
    # The state document's fields that only change with the snapshot, formatted once (every
    # state read would otherwise format the ids and the start instant again).
    fixed: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "deadline", next_deadline(self.plan, self.anchors))
        fixed = {
            "id": str(self.id),
            "workout_id": str(self.workout_id),
            "workout_name": self.workout_name,
            "athlete_id": str(self.athlete_id),
            "segment_count": len(self.plan_json["segments"]),
            "total_duration_s": self.plan_json["total_duration_s"],
            "started_at": instant(self.anchors.started_at),
        }
        object.__setattr__(self, "fixed", fixed)

    @classmethod
    def of(cls, row: SessionRow, plan: Plan) -> Snapshot:
        return cls(
            id=row.id,
            athlete_id=row.athlete_id,
            workout_id=row.workout_id,
            workout_name=row.workout_name,
            plan_json=row.plan,
            plan=plan,
            anchors=anchors_of(row),
            revision=row.revision,
        )


def instant(t: float | None) -> str | None:
    """An epoch instant as the API writes it (ISO 8601, UTC)."""
    return None if t is None else datetime.fromtimestamp(t, UTC).isoformat()


def anchors_of(row: SessionRow) -> Anchors:
    return Anchors(
        status=Status(row.status),
        segment_index=row.segment_index,
        segment_start_elapsed_s=row.segment_start_elapsed_s,
        elapsed_at_anchor_s=row.elapsed_at_anchor_s,
        anchor_at=row.anchor_at,
        started_at=row.started_at,
        ended_at=row.ended_at,
    )


def plan_of(ctx: Context, row: SessionRow) -> Plan:
    """The session's plan snapshot (immutable, so parsed once per process)."""
    return ctx.part(Snapshots).plan_of(row)


def snapshot_of(ctx: Context, row: SessionRow) -> Snapshot:
    return Snapshot.of(row, plan_of(ctx, row))


class Snapshots:
    """The newest known snapshot per session, least recently used dropped beyond `size`."""

    def __init__(
        self,
        size: int = 20_000,
        ttl_s: float = math.inf,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._entries: OrderedDict[uuid.UUID, tuple[Snapshot, float]] = OrderedDict()
        self._newest: dict[uuid.UUID, int] = {}  # revisions announced but not loaded yet
        self._size, self._ttl_s, self._monotonic = size, ttl_s, monotonic
        self._plans: OrderedDict[uuid.UUID, Plan] = OrderedDict()

    @classmethod
    def for_process(cls, hub: Hub, redis: bool) -> Snapshots:
        """With Redis, other processes change sessions too: their updates drop snapshots
        here, and entries expire as a safety net for a lost message."""
        if not redis:
            return cls()
        snapshots = cls(ttl_s=TTL_WITH_REDIS_S)
        hub.tap(snapshots.on_message)
        hub.on_gap(snapshots.expire_soon)
        return snapshots

    def plan_of(self, row: SessionRow) -> Plan:
        plan = self._plans.get(row.id)
        if plan is None:
            plan = plan_from_doc(row.plan)
            self._plans[row.id] = plan
            if len(self._plans) > self._size:
                self._plans.popitem(last=False)
        return plan

    def get(self, session_id: uuid.UUID) -> Snapshot | None:
        entry = self._entries.get(session_id)
        if entry is None:
            return None
        snapshot, expires_at = entry
        if self._monotonic() > expires_at:
            del self._entries[session_id]
            return None
        self._entries.move_to_end(session_id)
        return snapshot

    def put(self, snapshot: Snapshot) -> None:
        """Keep `snapshot` unless a newer revision is already known (a read that raced with
        a change must not bring the old state back)."""
        current = self._entries.get(snapshot.id)
        newest = self._newest.get(snapshot.id, 0)
        if snapshot.revision < newest or (current and current[0].revision > snapshot.revision):
            return
        self._newest.pop(snapshot.id, None)
        lifetime = self._ttl_s * (0.5 + random.random() / 2)
        self._entries[snapshot.id] = (snapshot, self._monotonic() + lifetime)
        self._entries.move_to_end(snapshot.id)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def expire_soon(self) -> None:
        """Changes may have been missed: every snapshot is read again within `GAP_SPREAD_S`
        (spread, so that thousands of live sessions are not all read in the same second)."""
        now = self._monotonic()
        for session_id, (snapshot, expires_at) in self._entries.items():
            soon = now + GAP_SPREAD_S * random.random()
            self._entries[session_id] = (snapshot, min(expires_at, soon))

    def changed(self, session_id: uuid.UUID, revision: int) -> None:
        """Another process committed `revision`: forget anything older."""
        entry = self._entries.get(session_id)
        if entry is not None and entry[0].revision >= revision:
            return
        self._entries.pop(session_id, None)
        self._newest[session_id] = max(revision, self._newest.get(session_id, 0))
        if len(self._newest) > self._size:
            self._newest.pop(next(iter(self._newest)))

    def on_message(self, topic: str, message: str) -> None:
        """The hub's tap for messages from other processes: an `update` drops older snapshots."""
        if not topic.startswith(TOPIC_PREFIX):
            return
        try:
            session_id = uuid.UUID(topic[len(TOPIC_PREFIX) :])
            doc = json.loads(message)
            revision = doc["state"]["revision"] if doc["type"] == "update" else None
        except (ValueError, KeyError, TypeError):
            return
        if isinstance(revision, int):
            self.changed(session_id, revision)
