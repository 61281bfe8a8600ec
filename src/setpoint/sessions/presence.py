"""Which sessions clients showed up for: written to `last_seen_at` in batches, which decides
whether a session comes back running or paused after a restart."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator


class Presence:
    def __init__(self) -> None:
        # Sessions a client showed up for since the last flush, and sessions with a live
        # socket open here (their count): both are written to `last_seen_at` in batches.
        self._seen: set[uuid.UUID] = set()
        self._watching: dict[uuid.UUID, int] = {}

    def saw(self, session_id: uuid.UUID) -> None:
        self._seen.add(session_id)

    @contextlib.contextmanager
    def watch(self, session_id: uuid.UUID) -> Iterator[None]:
        """A live socket is open on the session: it counts as seen until it closes."""
        self._watching[session_id] = self._watching.get(session_id, 0) + 1
        try:
            yield
        finally:
            self._seen.add(session_id)
            left = self._watching.pop(session_id) - 1
            if left:
                self._watching[session_id] = left

    def take(self) -> set[uuid.UUID]:
        """Every session seen since the last call, and every one watched now."""
        seen, self._seen = self._seen | self._watching.keys(), set()
        return seen
