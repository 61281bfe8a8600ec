"""What the fake provider server holds: per provider its accounts, OAuth grants and tokens,
stored workouts, schedules and plans, request counts and the faults to inject.

Plain in-memory data, read and changed by the request handlers of `fake.py` on one event
loop. Time comes from an injected clock (seconds since the epoch).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CODE_TTL_S = 600.0
TOKEN_TTL_S = {"garmin": 86400.0, "wahoo": 7200.0}
WAHOO_SCOPE = "user_read workouts_read workouts_write plans_read plans_write offline_data"


@dataclass(slots=True)
class Fault:
    """Answer `status` (and `body`) to the next `times` matching requests (-1: until reset).

    `path` restricts the fault to requests whose path contains it; `retry_after` adds a
    `Retry-After` header (and Wahoo's `X-RateLimit-*` headers on a 429).
    """

    status: int
    times: int = 1
    path: str | None = None
    retry_after: float | None = None
    body: str | None = None


@dataclass(slots=True)
class Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    account: str
    scope: str | None
    expires_at: float


@dataclass(slots=True)
class AccessToken:
    account: str
    expires_at: float
    replaces: str | None = None  # the access token this one revokes on first use (Wahoo)


@dataclass(slots=True)
class ProviderState:
    name: str
    token_ttl_s: float
    codes: dict[str, Grant] = field(default_factory=dict)
    access: dict[str, AccessToken] = field(default_factory=dict)
    refresh: dict[str, str] = field(default_factory=dict)  # refresh token → account
    accounts: list[str] = field(default_factory=list)
    workouts: dict[str, dict[str, Any]] = field(default_factory=dict)
    schedules: dict[str, dict[str, Any]] = field(default_factory=dict)
    plans: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    # (arrival time, "METHOD route", account of the bearer token or None) per request
    log: list[tuple[float, str, str | None]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    latency_ms: float = 0.0
    missing_permission: bool = False
    deny: bool = False
    interactive: bool = False

    def snapshot(self) -> dict[str, Any]:
        return {
            "workouts": list(self.workouts.values()),
            "schedules": list(self.schedules.values()),
            "plans": list(self.plans.values()),
            "requests": dict(sorted(self.requests.items())),
            "accounts": list(self.accounts),
            "tokens": {"access": len(self.access), "refresh": len(self.refresh)},
            "latency_ms": self.latency_ms,
            "faults": len(self.faults),
            "missing_permission": self.missing_permission,
        }

    def holder(self, token: str) -> str | None:
        """The account an access token was issued to (valid or not), without using it."""
        access = self.access.get(token)
        return None if access is None else access.account

    def next_fault(self, path: str) -> Fault | None:
        """The fault this request meets, if any (counting it down)."""
        for fault in self.faults:
            if fault.path is not None and fault.path not in path:
                continue
            if fault.times > 0:
                fault.times -= 1
                if fault.times == 0:
                    self.faults.remove(fault)
            return fault
        return None

    def revoke(self, account: str | None = None) -> None:
        """Every token (of `account`, or of everyone) stops working."""
        self.access = {
            t: a for t, a in self.access.items() if account is not None and a.account != account
        }
        self.refresh = {
            t: a for t, a in self.refresh.items() if account is not None and a != account
        }


class FakeState:
    """Both providers' state, and the ids they hand out."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.providers: dict[str, ProviderState] = {}
        self._next_id = 0
        self.reset()

    def reset(self) -> None:
        """Forget everything; the ProviderState objects stay the same (emptied)."""
        for name, ttl in TOKEN_TTL_S.items():
            fresh = ProviderState(name, ttl)
            if name not in self.providers:
                self.providers[name] = fresh
                continue
            for slot in ProviderState.__slots__:
                setattr(self.providers[name], slot, getattr(fresh, slot))
        self._next_id = 1000

    def __getitem__(self, provider: str) -> ProviderState:
        return self.providers[provider]

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def snapshot(self) -> dict[str, Any]:
        return {name: p.snapshot() for name, p in self.providers.items()}

    def apply(self, change: dict[str, Any]) -> None:
        """One `POST /_faults` body; raises ValueError naming what is wrong."""
        provider = self.providers.get(str(change.get("provider")))
        if provider is None:
            raise ValueError("provider must be garmin or wahoo")
        if "latency_ms" in change:
            provider.latency_ms = float(change["latency_ms"])
        if change.get("revoke"):
            provider.revoke()
        if change.get("expire_tokens"):
            for token in provider.access.values():
                token.expires_at = self.clock() - 1
        if "token_ttl_s" in change:
            provider.token_ttl_s = float(change["token_ttl_s"])
        for flag in ("missing_permission", "deny", "interactive"):
            if flag in change:
                setattr(provider, flag, bool(change[flag]))
        if "status" in change:
            status = int(change["status"])
            if not 200 <= status <= 599:
                raise ValueError("status must be an HTTP status")
            retry_after = change.get("retry_after")
            provider.faults.append(
                Fault(
                    status=status,
                    times=int(change.get("times", 1)),
                    path=change.get("path"),
                    retry_after=None if retry_after is None else float(retry_after),
                    body=change.get("body"),
                )
            )

    # --- OAuth -----------------------------------------------------------------------

    def grant(
        self,
        provider: str,
        client_id: str,
        redirect_uri: str,
        challenge: str,
        account: str | None,
        scope: str | None,
    ) -> str:
        """A new authorization code for `account` (a new account when None)."""
        state = self.providers[provider]
        if account is None:
            account = f"{provider}-user-{len(state.accounts) + 1}"
        if account not in state.accounts:
            state.accounts.append(account)
        code = secrets.token_urlsafe(16)
        expires_at = self.clock() + CODE_TTL_S
        state.codes[code] = Grant(client_id, redirect_uri, challenge, account, scope, expires_at)
        return code

    def exchange(self, provider: str, form: dict[str, str]) -> dict[str, Any]:
        """The token answer for a token-endpoint form; raises OAuthRefusal."""
        state = self.providers[provider]
        grant_type = form.get("grant_type")
        if not form.get("client_id"):
            raise OAuthRefusal("invalid_client", "client_id is required")
        if grant_type == "authorization_code":
            grant = state.codes.pop(form.get("code", ""), None)
            if grant is None or grant.expires_at < self.clock():
                raise OAuthRefusal("invalid_grant", "unknown, used or expired code")
            if grant.client_id != form["client_id"]:
                raise OAuthRefusal("invalid_grant", "the code was issued to another client")
            if form.get("redirect_uri", grant.redirect_uri) != grant.redirect_uri:
                raise OAuthRefusal("invalid_grant", "redirect_uri does not match")
            if s256(form.get("code_verifier", "")) != grant.challenge:
                raise OAuthRefusal("invalid_grant", "PKCE verification failed")
            return self._issue(state, grant.account, None, grant.scope)
        if grant_type == "refresh_token":
            account = state.refresh.pop(form.get("refresh_token", ""), None)
            if account is None:
                raise OAuthRefusal("invalid_grant", "unknown or already used refresh token")
            previous = next((t for t, a in state.access.items() if a.account == account), None)
            return self._issue(
                state, account, previous, WAHOO_SCOPE if provider == "wahoo" else None
            )
        raise OAuthRefusal("unsupported_grant_type", "use authorization_code or refresh_token")

    def _issue(
        self, state: ProviderState, account: str, previous: str | None, scope: str | None
    ) -> dict[str, Any]:
        access = f"{state.name[0]}at-{secrets.token_urlsafe(24)}"
        refresh = f"{state.name[0]}rt-{secrets.token_urlsafe(24)}"
        replaces = previous if state.name == "wahoo" else None
        state.access[access] = AccessToken(account, self.clock() + state.token_ttl_s, replaces)
        state.refresh[refresh] = account
        answer: dict[str, Any] = {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": int(state.token_ttl_s),
            "refresh_token": refresh,
        }
        if scope:
            answer["scope"] = scope
        if state.name == "garmin":
            answer["refresh_token_expires_in"] = 90 * 86400
        return answer

    def account_of(self, provider: str, token: str) -> str | None:
        """The account an access token belongs to, if it is valid now."""
        state = self.providers[provider]
        access = state.access.get(token)
        if access is None or access.expires_at <= self.clock():
            return None
        if access.replaces is not None:  # first use of a refreshed Wahoo token
            state.access.pop(access.replaces, None)
            access.replaces = None
        return access.account


class OAuthRefusal(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


# --- what the providers accept ---------------------------------------------------------

GARMIN_MAX_STEPS = 100
GARMIN_MAX_ID = 20
GARMIN_MAX_DESCRIPTION = 1024


def garmin_problems(body: Any) -> list[str]:
    """Why Garmin would refuse a workout JSON (empty when it would accept it)."""
    if not isinstance(body, dict):
        return ["the body must be a JSON object"]
    problems = []
    if not isinstance(body.get("workoutName"), str) or not body["workoutName"]:
        problems.append("workoutName is required")
    if not isinstance(body.get("sport"), str):
        problems.append("sport is required")
    for key in ("workoutSourceId", "workoutProvider"):
        if len(str(body.get(key) or "")) > GARMIN_MAX_ID:
            problems.append(f"{key} is longer than {GARMIN_MAX_ID} characters")
    if len(str(body.get("description") or "")) > GARMIN_MAX_DESCRIPTION:
        problems.append(f"description is longer than {GARMIN_MAX_DESCRIPTION} characters")
    segments = body.get("segments")
    if not isinstance(segments, list) or not segments:
        return [*problems, "segments are required"]
    steps = sum(_count_steps(s.get("steps")) for s in segments if isinstance(s, dict))
    if steps == 0:
        problems.append("a workout needs at least one step")
    if steps > GARMIN_MAX_STEPS:
        problems.append(f"{steps} steps; a workout holds at most {GARMIN_MAX_STEPS}")
    return problems


def _count_steps(steps: Any) -> int:
    if not isinstance(steps, list):
        return 0
    return sum(1 + _count_steps(s.get("steps")) for s in steps if isinstance(s, dict))


PLAN_FIELDS = ("plan[file]", "plan[filename]", "plan[external_id]", "plan[provider_updated_at]")
WORKOUT_FIELDS = (
    "workout[name]",
    "workout[workout_token]",
    "workout[workout_type_id]",
    "workout[starts]",
    "workout[minutes]",
)
DATA_URL_PREFIX = "data:application/json;base64,"


def wahoo_plan_file(value: str) -> dict[str, Any]:
    """The plan JSON inside a `plan[file]` data URL; ValueError when it is not one."""
    if not value.startswith(DATA_URL_PREFIX):
        raise ValueError("plan[file] must be a data:application/json;base64 URL")
    try:
        plan = json.loads(base64.b64decode(value[len(DATA_URL_PREFIX) :], validate=True))
    except ValueError:
        raise ValueError("plan[file] does not decode to JSON") from None
    if not isinstance(plan, dict) or not isinstance(plan.get("header"), dict):
        raise ValueError("plan[file] has no header")
    if not isinstance(plan.get("intervals"), list) or not plan["intervals"]:
        raise ValueError("plan[file] has no intervals")
    return plan
