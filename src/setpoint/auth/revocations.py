"""A token's end reaches the sockets it opened: a live socket is held under its token's hash,
and is closed when that token is revoked on any process (the revoking process publishes the
hash on the hub's `REVOKED_TOPIC`; every process follows it) or when the token expires."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from setpoint.auth.model import ActorCache
from setpoint.context import Context

REVOKED_TOPIC = "revoked"
EXPIRY_CHECK_S = 1.0  # how often held sockets are checked against their token's expiry
Close = Callable[[], None]


@dataclass(eq=False, slots=True)
class _Held:
    token_hash: str
    expires_at: float  # epoch seconds, wall clock
    close: Close = field(repr=False)


class OpenSockets:
    """The live sockets of this process, by the hash of the token that opened them."""

    def __init__(self) -> None:
        self._by_token: dict[str, set[_Held]] = {}

    @contextlib.contextmanager
    def hold(self, token_hash: str, expires_at: float, close: Close) -> Iterator[None]:
        """While the block runs, `close()` is called (once) when the token is revoked or
        expires; it must not block (it tells the socket's handler to close)."""
        held = _Held(token_hash, expires_at, close)
        self._by_token.setdefault(token_hash, set()).add(held)
        try:
            yield
        finally:
            self._release(held)

    def revoked(self, token_hash: str) -> int:
        """Close the sockets the token opened; how many."""
        closing = self._by_token.pop(token_hash, set())
        for held in closing:
            held.close()
        return len(closing)

    def expire(self, now: float) -> int:
        """Close the sockets whose token expired at `now` (epoch seconds); how many."""
        closing = [
            held
            for holders in self._by_token.values()
            for held in holders
            if held.expires_at <= now
        ]
        for held in closing:
            self._release(held)
            held.close()
        return len(closing)

    def _release(self, held: _Held) -> None:
        holders = self._by_token.get(held.token_hash)
        if holders is not None:
            holders.discard(held)
            if not holders:
                del self._by_token[held.token_hash]


async def publish_revoked(ctx: Context, token_hash: str) -> None:
    await ctx.hub.publish(REVOKED_TOPIC, token_hash)


async def follow_revocations(ctx: Context) -> None:
    """Until cancelled: forget each revoked token's actor and close its sockets, whichever
    process revoked it."""
    with ctx.hub.subscribe(REVOKED_TOPIC, maxsize=10_000) as revocations:
        while True:
            token_hash = await revocations.get()
            ctx.part(ActorCache).drop(token_hash)
            ctx.part(OpenSockets).revoked(token_hash)


async def expire_sockets(ctx: Context) -> int:
    return ctx.part(OpenSockets).expire(ctx.clock.now().timestamp())
