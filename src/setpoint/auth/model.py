"""Roles, the acting user and the ownership rules (pure)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from enum import StrEnum

TOKEN_PREFIX = "sp_"


class Role(StrEnum):
    ATHLETE = "athlete"
    COACH = "coach"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is calling, with the links that decide what they may see."""

    user_id: uuid.UUID
    email: str
    role: Role
    athlete_ids: frozenset[uuid.UUID] = frozenset()
    coach_ids: frozenset[uuid.UUID] = frozenset()

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def acts_for(self, owner_id: uuid.UUID) -> bool:
        """May read and write what `owner_id` owns: themselves, their athletes, or an admin."""
        return self.is_admin or owner_id == self.user_id or owner_id in self.athlete_ids

    def can_read_library_of(self, owner_id: uuid.UUID) -> bool:
        """Workout templates are also readable by the owner's athletes (a coach's library)."""
        return self.acts_for(owner_id) or owner_id in self.coach_ids

    def visible_owner_ids(self) -> frozenset[uuid.UUID] | None:
        """Owners whose templates this actor may list; None means everyone (admin)."""
        if self.is_admin:
            return None
        return frozenset({self.user_id}) | self.athlete_ids | self.coach_ids


class ActorCache:
    """Who a token belongs to, remembered for a few seconds so a request does not pay two
    queries to find out. A revocation is seen at once by the process that made it, and by
    the others within `ttl_s`."""

    def __init__(self, ttl_s: float = 10.0, size: int = 50_000) -> None:
        self.ttl_s = ttl_s
        self.size = size
        self._entries: dict[str, tuple[Actor, float, float]] = {}

    def get(self, token_hash: str, now: float) -> tuple[Actor, float] | None:
        """The token's actor and when the token expires (epoch seconds)."""
        entry = self._entries.get(token_hash)
        if entry is None or entry[1] <= now:
            return None
        return entry[0], entry[2]

    def put(self, token_hash: str, actor: Actor, now: float, token_expires_at: float) -> None:
        if len(self._entries) >= self.size:
            self._entries.pop(next(iter(self._entries)))
        until = min(now + self.ttl_s, token_expires_at)
        self._entries[token_hash] = (actor, until, token_expires_at)

    def drop(self, token_hash: str) -> None:
        self._entries.pop(token_hash, None)


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Tokens are 256 random bits, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(token.encode()).hexdigest()
