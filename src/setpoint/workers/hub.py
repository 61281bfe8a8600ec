"""The live hub: fan-out of JSON messages by topic to subscribers in this process, and,
with Redis, to every process. Messages are serialized once by the publisher.

Each subscriber has a bounded queue: a slow client loses its oldest messages (a newer state
snapshot supersedes them) instead of building a backlog in the server.

The hub also keeps claims of processes that announce themselves alive: `beat` says a process
is alive for `ttl_s` more, `leave` that it stopped; `claim` gives a key to a process, and the
key stays its holder's while the holder keeps announcing itself and keeps claiming the key
within the key's own `ttl_s`. With Redis the claims are shared by every process (one script
decides each claim atomically); without, they are this process's.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import secrets
import time
from collections.abc import Callable, Iterator
from typing import Protocol

import structlog

log = structlog.get_logger("setpoint.hub")
CHANNEL_PREFIX = "setpoint:"
REDIS_CONNECTIONS = 64
REDIS_WAIT_S = 10.0
ALIVE_PREFIX = "setpoint:alive:"  # Redis keys: a process that announced itself alive
CLAIM_PREFIX = "setpoint:claim:"  # Redis keys: a claimed key's holder
Tap = Callable[[str, str], None]
# KEYS[1] the claim; ARGV: holder, ttl in ms, the alive keys' prefix. Returns {holder, 1 if
# the holder held the key already (kept, its ttl renewed), else 0}.
CLAIM_SCRIPT = """
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {current, 1}
end
if current and redis.call('EXISTS', ARGV[3] .. current) == 1 then
  return {current, 0}
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {ARGV[1], 0}
"""


class Subscription:
    def __init__(self, topic: str, maxsize: int) -> None:
        self.topic = topic
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize)
        self.dropped = 0

    def offer(self, message: str) -> None:
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(message)

    async def get(self) -> str:
        return await self.queue.get()


class Hub(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, topic: str, message: str) -> None: ...

    def subscribe(
        self, topic: str, maxsize: int = 64
    ) -> contextlib.AbstractContextManager[Subscription]: ...

    def tap(self, callback: Tap) -> None:
        """Call `callback(topic, message)` for every message that arrives from other processes."""
        ...

    def on_gap(self, callback: Callable[[], None]) -> None:
        """Call `callback()` when messages from other processes may have been missed."""
        ...

    async def beat(self, holder: str, ttl_s: float) -> None:
        """`holder` is alive for `ttl_s` more."""
        ...

    async def leave(self, holder: str) -> None:
        """`holder` stopped: the keys it holds may be claimed by others at once."""
        ...

    async def claim(self, key: str, holder: str, ttl_s: float) -> tuple[str, bool]:
        """Claim `key` for `holder` for `ttl_s`: it is `holder`'s if it held it already, if
        nobody did, or if its holder is no longer alive. The holder, and whether `holder`
        held the key already (continuously, since its previous claim)."""
        ...


class LocalHub:
    """Subscribers of this process; also the delivery end of the Redis hub. Its claims are
    kept in memory, on `monotonic`."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._topics: dict[str, set[Subscription]] = {}
        self._monotonic = monotonic
        self._alive: dict[str, float] = {}  # holder -> alive until
        self._claims: dict[str, tuple[str, float]] = {}  # key -> (holder, until)

    async def start(self) -> None:
        return None

    async def beat(self, holder: str, ttl_s: float) -> None:
        self._alive[holder] = self._monotonic() + ttl_s

    async def leave(self, holder: str) -> None:
        self._alive.pop(holder, None)

    async def claim(self, key: str, holder: str, ttl_s: float) -> tuple[str, bool]:
        now = self._monotonic()
        current = self._claims.get(key)
        if current is not None and current[1] > now:
            if current[0] == holder:
                self._claims[key] = (holder, now + ttl_s)
                return holder, True
            if self._alive.get(current[0], -math.inf) > now:
                return current[0], False
        self._claims[key] = (holder, now + ttl_s)
        return holder, False

    async def stop(self) -> None:
        return None

    async def publish(self, topic: str, message: str) -> None:
        self.deliver(topic, message)

    def tap(self, callback: Tap) -> None:
        return None  # without Redis, every message was published by this process

    def on_gap(self, callback: Callable[[], None]) -> None:
        return None  # nothing comes from elsewhere, so nothing is missed

    def deliver(self, topic: str, message: str) -> None:
        for subscription in self._topics.get(topic, ()):
            subscription.offer(message)

    @contextlib.contextmanager
    def subscribe(self, topic: str, maxsize: int = 64) -> Iterator[Subscription]:
        subscription = Subscription(topic, maxsize)
        self._topics.setdefault(topic, set()).add(subscription)
        try:
            yield subscription
        finally:
            subscribers = self._topics.get(topic)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._topics[topic]


class _Batch:
    """Messages published in the same moment, written to Redis in one round trip."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []
        self.written: asyncio.Future[None] = asyncio.get_running_loop().create_future()


class RedisHub:
    """Publishes through Redis pub/sub; one reader per process delivers to local subscribers.

    A message reaches this process's subscribers at once, without the round trip; other
    processes get it through Redis. Publishes are written in batches, one pipeline at a
    time (in order): what is published while a batch is on its way goes in the next one,
    so a burst of thousands costs a few round trips, not thousands of pooled connections.
    Each message carries its process's tag, and the reader skips its own."""

    def __init__(self, url: str) -> None:
        from redis.asyncio import BlockingConnectionPool, Redis

        pool = BlockingConnectionPool.from_url(
            url, max_connections=REDIS_CONNECTIONS, timeout=REDIS_WAIT_S
        )
        self._redis = Redis(connection_pool=pool)
        self._local = LocalHub()
        self._tag = secrets.token_hex(4)  # this process, in every message it publishes
        self._tag_bytes = self._tag.encode()
        self._reader: asyncio.Task[None] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._filling: _Batch | None = None
        self._waiting = asyncio.Event()  # a batch is filling
        self._taps: list[Tap] = []
        self._gaps: list[Callable[[], None]] = []
        self._claim = self._redis.register_script(CLAIM_SCRIPT)

    async def start(self) -> None:
        self._reader = asyncio.create_task(self._read(), name="redis-hub-reader")
        self._writer = asyncio.create_task(self._write(), name="redis-hub-writer")
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def stop(self) -> None:
        for task in (self._reader, self._writer):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._filling is not None:  # never written: its publishers stop waiting
            self._filling.written.cancel()
        await self._redis.aclose()

    async def publish(self, topic: str, message: str) -> None:
        """Deliver `message` here, and return once Redis has it for the other processes."""
        self._local.deliver(topic, message)
        batch = self._filling
        if batch is None:
            batch = self._filling = _Batch()
            self._waiting.set()
        batch.messages.append((CHANNEL_PREFIX + topic, f"{self._tag} {message}"))
        await asyncio.shield(batch.written)

    async def _write(self) -> None:
        while True:
            await self._waiting.wait()
            self._waiting.clear()
            batch, self._filling = self._filling, None
            if batch is None:
                continue
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for channel, data in batch.messages:
                        pipe.publish(channel, data)
                    await pipe.execute()
            except asyncio.CancelledError:
                batch.written.cancel()
                raise
            except Exception as exc:  # each publisher sees it; the next batch tries again
                batch.written.set_exception(exc)
                batch.written.exception()  # retrieved, even if every publisher went away
            else:
                batch.written.set_result(None)

    def subscribe(
        self, topic: str, maxsize: int = 64
    ) -> contextlib.AbstractContextManager[Subscription]:
        return self._local.subscribe(topic, maxsize)

    def tap(self, callback: Tap) -> None:
        self._taps.append(callback)

    def on_gap(self, callback: Callable[[], None]) -> None:
        self._gaps.append(callback)

    async def beat(self, holder: str, ttl_s: float) -> None:
        await self._redis.set(ALIVE_PREFIX + holder, b"1", px=max(1, round(ttl_s * 1000)))

    async def leave(self, holder: str) -> None:
        await self._redis.delete(ALIVE_PREFIX + holder)

    async def claim(self, key: str, holder: str, ttl_s: float) -> tuple[str, bool]:
        ttl_ms = max(1, round(ttl_s * 1000))
        found, held = await self._claim(
            keys=[CLAIM_PREFIX + key], args=[holder, ttl_ms, ALIVE_PREFIX]
        )
        return found.decode() if isinstance(found, bytes) else str(found), held == 1

    async def _read(self) -> None:
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.psubscribe(CHANNEL_PREFIX + "*")
                    if self._ready.is_set():  # subscribed again: what came meanwhile is lost
                        for gap in self._gaps:
                            gap()
                    self._ready.set()
                    async for message in pubsub.listen():
                        if message["type"] != "pmessage":
                            continue
                        tag, _, raw = message["data"].partition(b" ")
                        if tag == self._tag_bytes:
                            continue  # published here: delivered already
                        topic = message["channel"].decode()[len(CHANNEL_PREFIX) :]
                        data = raw.decode()
                        for tap in self._taps:
                            tap(topic, data)
                        self._local.deliver(topic, data)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("redis hub reader failed; reconnecting")
                await asyncio.sleep(1)


def create_hub(redis_url: str | None) -> Hub:
    return RedisHub(redis_url) if redis_url else LocalHub()
