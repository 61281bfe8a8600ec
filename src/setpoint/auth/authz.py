"""Authorization, asked one way: may this actor see or change what this owner has?

A refusal is `NotFound` naming the thing, never `Forbidden`: an id that is not yours is
indistinguishable from one that does not exist, so ids cannot be probed.
"""

from __future__ import annotations

import uuid
from typing import TypeVar

from setpoint.auth.model import Actor
from setpoint.errors import NotFound

T = TypeVar("T")


def check_owner(actor: Actor, owner_id: uuid.UUID | None, what: str) -> None:
    """`what` names the thing in the refusal (`session 3f2…`, `athlete 9c1…`)."""
    if owner_id is None or not actor.acts_for(owner_id):
        raise NotFound(f"{what} does not exist")


def owned(actor: Actor, thing: T | None, owner_id: uuid.UUID | None, what: str) -> T:
    """`thing` when the actor acts for its owner; else (or when it is missing) `NotFound`."""
    check_owner(actor, owner_id, what)
    assert thing is not None  # an owner id was found, so the thing was
    return thing


def athlete(actor: Actor, athlete_id: uuid.UUID | None) -> uuid.UUID:
    """The athlete a request is about: the one named, when the actor acts for them, or the
    actor themselves."""
    chosen = athlete_id or actor.user_id
    check_owner(actor, chosen, f"athlete {chosen}")
    return chosen
