"""Which process runs a session's heart-rate tracker when several processes serve (Redis).

The rule (`Owners`):
- A session's tracker (filter, deviation state, rate limit) runs in one process, its owner:
  the first process that gets samples for the session claims it on the hub
  (`Hub.claim("hr-owner:{session_id}")`, renewed on use within `OWNER_TTL_S`).
- Every process announces itself alive every `BEAT_S` (`Hub.beat`, for `ALIVE_S`) and says
  when it stops (`Hub.leave`). A session whose owner stopped announcing goes to the next
  process that gets samples for it, which starts a tracker from the database, as a restarted
  process does (the deviation alert still open in the segment is not raised again).
- A process counts itself the owner only while neither its claim nor its own announcement can
  have lapsed: until `ALIVE_S` after the start of its last beat, and until half `OWNER_TTL_S`
  after the start of its claim. Past either, it claims again before it uses the
  tracker (a forwarded batch for a session it claimed before makes it claim again); a claim
  it did not hold continuously (someone may have owned the session
  meanwhile) drops the tracker it had, and so does a claim that another process won.
- Samples reaching another process are forwarded on the hub (`hr:{session_id}`) and the
  owner ingests them as its own, replying on the sender's `hr-reply:{process}` topic with
  what it answered (the counts, the view, or its refusal). No reply within
  `FORWARD_TIMEOUT_S` is `HeartRateUnavailable` (503; the client retries).

Without Redis (`shared` False) the process owns every session and nothing is asked.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import os
import secrets
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import structlog

from setpoint.errors import SetpointError
from setpoint.heartrate.filter import Sample
from setpoint.heartrate.live import HeartRates
from setpoint.workers.hub import Hub

log = structlog.get_logger("setpoint.heartrate.owners")

BEAT_S = 1.0  # a process announces itself alive this often
ALIVE_S = 5.0  # ... for this long: a stopped owner's sessions move after at most this
OWNER_TTL_S = 3600.0  # a claim lasts this long unless claimed again by its holder
ELSEWHERE_S = 2.0  # a session owned elsewhere is forwarded without asking again for this long
FORWARD_TIMEOUT_S = 3.0
PRUNE_EVERY_S = 60.0  # claims that ran out are forgotten this often
OWNER_KEY = "hr-owner:"
SAMPLES_TOPIC = "hr:"  # + session id: samples forwarded to the session's owner
REPLY_TOPIC = "hr-reply:"  # + process id: the owner's answers
ZONES_TOPIC = "hr-zones:"  # + athlete id: the athlete's zones changed (trackers made again)
LEFT_TOPIC = "hr-left"  # a process stopped: the sessions it owned may be claimed at once

Serve = Callable[[uuid.UUID, list[Sample], bool], Awaitable[dict[str, Any]]]


class HeartRateUnavailable(SetpointError):
    """The process that runs the session's heart rate did not answer; retry shortly."""

    code = "heart_rate_unavailable"
    status = 503


def process_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Owners:
    """This process's view of which sessions' heart rate it runs (see the module's rule), the
    forwarding of samples to the owner, and the answers to forwarded samples."""

    def __init__(
        self,
        hub: Hub,
        heart_rates: HeartRates,
        shared: bool,
        monotonic: Callable[[], float] = time.monotonic,
        process: str | None = None,
    ) -> None:
        self.hub = hub
        self.shared = shared
        self.id = process or process_id()
        self._heart_rates = heart_rates
        self._monotonic = monotonic
        self._alive_until = -math.inf
        # session -> (when claimed, the announcement's epoch then): see `holds`
        self._owned: dict[uuid.UUID, tuple[float, int]] = {}
        self._epoch = 0  # + 1 whenever this process's announcement may have lapsed
        self._elsewhere: dict[uuid.UUID, float] = {}  # session -> owned elsewhere, until
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._serve: Serve | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._next_prune = -math.inf

    # --- the rule ---------------------------------------------------------------------------

    def holds(self, session_id: uuid.UUID) -> bool:
        """This process runs the session's tracker now (no question asked)."""
        if not self.shared:
            return True
        entry = self._owned.get(session_id)
        if entry is None:
            return False
        now = self._monotonic()
        claimed_at, epoch = entry
        fresh = now < claimed_at + OWNER_TTL_S / 2  # claimed again long before it runs out
        return epoch == self._epoch and fresh and now < self._alive_until

    async def beat(self) -> None:
        """Announce this process alive for `ALIVE_S`. After a gap in which the announcement may
        have lapsed, every session is claimed again before its tracker is used."""
        started = self._monotonic()
        await self.hub.beat(self.id, ALIVE_S)
        if self._alive_until <= started:
            self._epoch += 1  # every claim is made again before use
        self._alive_until = started + ALIVE_S
        if started >= self._next_prune:  # claims run out on the hub too: nobody forwards
            self._next_prune = started + PRUNE_EVERY_S
            for session_id in [
                s for s, (at, _) in self._owned.items() if at + OWNER_TTL_S < started
            ]:
                del self._owned[session_id]
                self._heart_rates.drop(session_id)
            for session_id in [s for s, until in self._elsewhere.items() if until <= started]:
                del self._elsewhere[session_id]

    async def route(self, session_id: uuid.UUID) -> bool:
        """True if this process runs the session's tracker (claiming it if nobody does), False
        if another process does."""
        if self.holds(session_id):
            return True
        now = self._monotonic()
        if self._elsewhere.get(session_id, -math.inf) > now:
            return False
        if self._alive_until <= now:
            await self.beat()
        started, epoch = self._monotonic(), self._epoch
        holder, held = await self.hub.claim(OWNER_KEY + str(session_id), self.id, OWNER_TTL_S)
        if holder != self.id:
            self._owned.pop(session_id, None)
            self._heart_rates.drop(session_id)
            self._elsewhere[session_id] = started + ELSEWHERE_S
            return False
        if not held:
            self._heart_rates.drop(session_id)  # from an earlier ownership: out of date
        self._owned[session_id] = (started, epoch)
        self._elsewhere.pop(session_id, None)
        return self.holds(session_id)

    # --- forwarding -------------------------------------------------------------------------

    def start(self, serve: Serve) -> None:
        """Answer samples forwarded to the sessions this process owns with `serve`."""
        self._serve = serve
        self.hub.tap(self._on_message)

    async def leave(self) -> None:
        """This process stops: others may claim its sessions at once."""
        self._owned.clear()
        self._alive_until = -math.inf
        await self.hub.leave(self.id)
        await self.hub.publish(LEFT_TOPIC, self.id)

    async def forward(
        self, session_id: uuid.UUID, samples: Sequence[Sample], durable: bool
    ) -> dict[str, Any]:
        """Send `samples` to the session's owner; its reply: `{"ok": answer}` or
        `{"error": body, "status": status}`."""
        request = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[request] = future
        message = {
            "id": request,
            "from": self.id,
            "durable": durable,
            "samples": [[s.t, s.bpm, list(s.rr)] for s in samples],
        }
        try:
            await self.hub.publish(SAMPLES_TOPIC + str(session_id), json.dumps(message))
            return await asyncio.wait_for(future, FORWARD_TIMEOUT_S)
        except TimeoutError:
            self._elsewhere.pop(session_id, None)  # ask the hub again next time
            raise HeartRateUnavailable(
                "the process running this session's heart rate did not answer; retry"
            ) from None
        finally:
            self._waiting.pop(request, None)

    async def zones_changed(self, athlete_id: uuid.UUID) -> None:
        """The athlete's zones changed: every process makes their trackers again."""
        self._heart_rates.forget_athlete(athlete_id)
        if self.shared:
            await self.hub.publish(ZONES_TOPIC + str(athlete_id), "")

    def _on_message(self, topic: str, message: str) -> None:
        """The hub's tap: answers, forwarded samples, zone changes, processes leaving."""
        try:
            if topic.startswith(REPLY_TOPIC):
                if topic == REPLY_TOPIC + self.id:
                    reply = json.loads(message)
                    future = self._waiting.get(reply["id"])
                    if future is not None and not future.done():
                        future.set_result(reply)
            elif topic.startswith(SAMPLES_TOPIC):
                session_id = uuid.UUID(topic[len(SAMPLES_TOPIC) :])
                if session_id in self._owned:  # counted or not: `route` says
                    task = asyncio.get_running_loop().create_task(
                        self._answer(session_id, json.loads(message))
                    )
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
            elif topic.startswith(ZONES_TOPIC):
                self._heart_rates.forget_athlete(uuid.UUID(topic[len(ZONES_TOPIC) :]))
            elif topic == LEFT_TOPIC and message != self.id:
                self._elsewhere.clear()
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable heart-rate hub message", topic=topic)

    async def _answer(self, session_id: uuid.UUID, request: dict[str, Any]) -> None:
        assert self._serve is not None
        if not await self.route(session_id):
            return  # no longer ours: the sender times out and asks again
        samples = [Sample(float(t), int(bpm), tuple(rr)) for t, bpm, rr in request["samples"]]
        reply: dict[str, Any] = {"id": request["id"]}
        try:
            reply["ok"] = await self._serve(session_id, samples, bool(request["durable"]))
        except SetpointError as exc:
            reply |= {"error": exc.body(), "status": exc.status}
        except Exception:
            log.exception("forwarded heart rate failed", session_id=str(session_id))
            error = HeartRateUnavailable("the heart rate could not be taken; retry")
            reply |= {"error": error.body(), "status": error.status}
        await self.hub.publish(REPLY_TOPIC + str(request["from"]), json.dumps(reply))
