"""The Redis hub as two processes see it: two `RedisHub`s on the same Redis, each with its own
subscribers and taps. Deselected (with a line saying so) without SETPOINT_TEST_REDIS_URL."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.exceptions import RedisError

from setpoint.workers.hub import RedisHub, Subscription

pytestmark = pytest.mark.services


@pytest.fixture
async def hubs() -> AsyncIterator[tuple[RedisHub, RedisHub]]:
    url = os.environ["SETPOINT_TEST_REDIS_URL"]
    first, second = RedisHub(url), RedisHub(url)
    await first.start()
    await second.start()
    try:
        yield first, second
    finally:
        await first.stop()
        await second.stop()


async def received(subscription: Subscription, count: int) -> list[str]:
    return [await asyncio.wait_for(subscription.get(), 5) for _ in range(count)]


async def test_a_burst_reaches_both_processes_in_order_and_once(
    hubs: tuple[RedisHub, RedisHub],
) -> None:
    here, there = hubs
    topic = f"session:{os.urandom(4).hex()}"
    with here.subscribe(topic, maxsize=5000) as local, there.subscribe(topic, maxsize=5000) as far:
        # More publishes at once than the pool has connections: they share a few round trips.
        await asyncio.gather(*(here.publish(topic, f"m{i}") for i in range(3000)))
        expected = [f"m{i}" for i in range(3000)]
        assert await received(local, 3000) == expected
        assert await received(far, 3000) == expected
        await asyncio.sleep(0.2)  # the echo of its own messages would have come back by now
        assert local.queue.empty() and far.queue.empty()


async def test_a_subscriber_here_gets_the_message_before_redis_answers(
    hubs: tuple[RedisHub, RedisHub],
) -> None:
    here, _ = hubs
    with here.subscribe("wake") as local:
        publishing = asyncio.ensure_future(here.publish("wake", "now"))
        await asyncio.sleep(0)  # the publish runs up to its wait for Redis
        assert not publishing.done()
        assert local.queue.get_nowait() == "now"
        await publishing


async def test_taps_see_other_processes_messages_only(hubs: tuple[RedisHub, RedisHub]) -> None:
    here, there = hubs
    seen_here: list[tuple[str, str]] = []
    seen_there: list[tuple[str, str]] = []
    here.tap(lambda topic, message: seen_here.append((topic, message)))
    there.tap(lambda topic, message: seen_there.append((topic, message)))
    with there.subscribe("revoked") as far:
        await here.publish("revoked", "a b c")  # a message with spaces arrives whole
        assert await received(far, 1) == ["a b c"]
    await there.publish("revoked", "d")
    for _ in range(50):
        if seen_here:
            break
        await asyncio.sleep(0.02)
    assert seen_there == [("revoked", "a b c")]
    assert seen_here == [("revoked", "d")]


async def test_publish_fails_while_redis_is_down_and_works_once_it_is_back(
    tmp_path: Path,
) -> None:
    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]

    async def start() -> asyncio.subprocess.Process:
        server = await asyncio.create_subprocess_exec(
            *command, cwd=tmp_path, stdout=asyncio.subprocess.DEVNULL
        )
        await until_up(port)
        return server

    async def stop(server: asyncio.subprocess.Process) -> None:
        if server.returncode is None:
            server.terminate()
            await asyncio.wait_for(server.wait(), 5)

    server = await start()
    try:
        hub = RedisHub(f"redis://127.0.0.1:{port}/0")
        gaps: list[bool] = []
        hub.on_gap(lambda: gaps.append(True))
        await hub.start()
        try:
            await hub.publish("t", "while up")
            await stop(server)
            with pytest.raises(RedisError):
                await asyncio.wait_for(hub.publish("t", "while down"), 5)
            server = await start()
            await asyncio.wait_for(hub.publish("t", "back"), 5)
            for _ in range(100):  # the reader subscribes again, and says it may have missed some
                if gaps:
                    break
                await asyncio.sleep(0.05)
            assert gaps == [True]
        finally:
            await hub.stop()
    finally:
        await stop(server)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def until_up(port: int) -> None:
    for _ in range(100):
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"redis-server did not listen on {port}")
