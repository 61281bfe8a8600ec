"""The live hub: fan-out of JSON messages by topic to subscribers in this process, and,
with Redis, to every process. Messages are serialized once by the publisher.

Each subscriber has a bounded queue: a slow client loses its oldest messages (a newer state
snapshot supersedes them) instead of building a backlog in the server.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from typing import Protocol

import structlog

log = structlog.get_logger("setpoint.hub")
CHANNEL_PREFIX = "setpoint:"
Tap = Callable[[str, str], None]


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


class LocalHub:
    """Subscribers of this process; also the delivery end of the Redis hub."""

    def __init__(self) -> None:
        self._topics: dict[str, set[Subscription]] = {}

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, topic: str, message: str) -> None:
        self.deliver(topic, message)

    def tap(self, callback: Tap) -> None:
        return None  # without Redis, every message was published by this process

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


class RedisHub:
    """Publishes through Redis pub/sub; one reader per process delivers to local subscribers."""

    def __init__(self, url: str) -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(url)
        self._local = LocalHub()
        self._reader: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._taps: list[Tap] = []

    async def start(self) -> None:
        self._reader = asyncio.create_task(self._read(), name="redis-hub-reader")
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._redis.aclose()

    async def publish(self, topic: str, message: str) -> None:
        await self._redis.publish(CHANNEL_PREFIX + topic, message)

    def subscribe(
        self, topic: str, maxsize: int = 64
    ) -> contextlib.AbstractContextManager[Subscription]:
        return self._local.subscribe(topic, maxsize)

    def tap(self, callback: Tap) -> None:
        self._taps.append(callback)

    async def _read(self) -> None:
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.psubscribe(CHANNEL_PREFIX + "*")
                    self._ready.set()
                    async for message in pubsub.listen():
                        if message["type"] != "pmessage":
                            continue
                        topic = message["channel"].decode()[len(CHANNEL_PREFIX) :]
                        data = message["data"].decode()
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
