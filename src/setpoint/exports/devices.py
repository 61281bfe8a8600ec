"""Device connections: the OAuth 2 flow (authorization code + PKCE, a single-use expiring
`state` bound to the user), encrypted tokens, the primary provider, disconnection, and what
each change does to the athlete's queued exports. Flushes, never commits, except where a
use case must call the provider between two transactions (the callback, disconnect)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import structlog
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncSession

from setpoint.auth import authz
from setpoint.auth.keys import fernet
from setpoint.auth.model import Actor
from setpoint.context import Context
from setpoint.db.engine import UnitOfWork
from setpoint.errors import BadRequest, NotFound
from setpoint.exports import repository, service
from setpoint.exports.model import ConnectionStatus, ExportStatus
from setpoint.exports.providers import PROVIDERS, ProviderError, Providers, TokenSet, pkce_pair
from setpoint.exports.providers.errors import UnknownProvider
from setpoint.exports.tables import DeviceConnection, OAuthState
from setpoint.heartrate.tables import AthleteProfile
from setpoint.notifications.model import NotificationType
from setpoint.notifications.service import notify

FERNET_NAME = "provider-tokens"
CONNECTED, REVOKED = ConnectionStatus.CONNECTED, ConnectionStatus.REVOKED
STATE_TTL = timedelta(minutes=10)
log = structlog.get_logger("setpoint.exports")


class InvalidOAuthState(BadRequest):
    code = "invalid_state"


def known(provider: str) -> str:
    if provider not in PROVIDERS:
        raise UnknownProvider(provider)
    return provider


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


async def _box(ctx: Context, session: AsyncSession) -> Fernet:
    return await fernet(ctx.settings, session, FERNET_NAME)


# --- the OAuth flow ----------------------------------------------------------------------------


async def connect(ctx: Context, actor: Actor, provider: str) -> str:
    """Begin connecting the actor's account at `provider`: the URL to send their browser to.
    Its own write transaction: the route is a GET, whose request transaction only reads."""
    providers = ctx.part(Providers)
    providers.config(known(provider))  # refuses providers this server has no client for
    state, pkce = secrets.token_urlsafe(32), pkce_pair()
    async with ctx.db.transaction() as uow:
        await _begin(ctx, uow, actor, provider, state, pkce.verifier)
    return providers.authorize_url(provider, state, pkce.challenge)


async def _begin(
    ctx: Context, uow: UnitOfWork, actor: Actor, provider: str, state: str, verifier: str
) -> None:
    box = await _box(ctx, uow.session)
    uow.session.add(
        OAuthState(
            state_hash=_hash(state),
            user_id=actor.user_id,
            provider=provider,
            verifier_encrypted=box.encrypt(verifier.encode()).decode(),
            expires_at=ctx.clock.now() + STATE_TTL,
            used_at=None,
        )
    )


async def callback(ctx: Context, provider: str, code: str, state: str) -> uuid.UUID:
    """The provider sent the browser back: check the state (once), exchange the code, keep
    the tokens and push what was waiting for a device. The user connected."""
    known(provider)
    async with ctx.db.transaction() as uow:
        flow = await uow.session.get(OAuthState, _hash(state), with_for_update=True)
        now = ctx.clock.now()
        if flow is None or flow.provider != provider:
            raise InvalidOAuthState("state: unknown; start again from Connect")
        if flow.used_at is not None:
            raise InvalidOAuthState("state: already used; start again from Connect")
        if flow.expires_at <= now:
            raise InvalidOAuthState("state: expired; start again from Connect")
        flow.used_at = now
        user_id = flow.user_id
        verifier = (await _box(ctx, uow.session)).decrypt(flow.verifier_encrypted.encode())
    providers = ctx.part(Providers)
    oauth = providers.oauth(provider)
    tokens = await oauth.exchange(code, providers.redirect_uri(provider), verifier.decode())
    async with ctx.db.transaction() as uow:
        await _keep(ctx, uow, user_id, provider, tokens)
    return user_id


async def _keep(
    ctx: Context, uow: UnitOfWork, user_id: uuid.UUID, provider: str, tokens: TokenSet
) -> None:
    session = uow.session
    box = await _box(ctx, session)  # before adding a row: its lookup would flush it half-made
    connection = await repository.connection(session, user_id, provider, lock=True)
    now = ctx.clock.now()
    if connection is None:
        others = await repository.connections_of(session, user_id)
        connection = DeviceConnection(
            user_id=user_id,
            provider=provider,
            primary=not any(c.status == CONNECTED.value for c in others),
            connected_at=now,
        )
        session.add(connection)
    connection.status = CONNECTED.value
    _store_tokens(box, connection, tokens, now)
    await session.flush()
    await requeue(ctx, uow, user_id, {ExportStatus.NOT_CONNECTED.value})


# --- tokens -------------------------------------------------------------------------------------


async def token_set(ctx: Context, session: AsyncSession, connection: DeviceConnection) -> TokenSet:
    box = await _box(ctx, session)
    return TokenSet(
        box.decrypt(connection.access_token_encrypted.encode()).decode(),
        box.decrypt(connection.refresh_token_encrypted.encode()).decode(),
        connection.expires_at,
    )


def _store_tokens(
    box: Fernet, connection: DeviceConnection, tokens: TokenSet, now: datetime
) -> None:
    connection.access_token_encrypted = box.encrypt(tokens.access_token.encode()).decode()
    connection.refresh_token_encrypted = box.encrypt(tokens.refresh_token.encode()).decode()
    connection.expires_at = tokens.expires_at
    connection.updated_at = now


async def save_tokens(ctx: Context, connection_id: uuid.UUID, tokens: TokenSet) -> None:
    """Rotated tokens, committed before the new access token is used."""
    async with ctx.db.transaction() as uow:
        box = await _box(ctx, uow.session)
        connection = await uow.session.get(DeviceConnection, connection_id, with_for_update=True)
        if connection is not None:
            _store_tokens(box, connection, tokens, ctx.clock.now())


async def changed_since(session: AsyncSession, connection_id: uuid.UUID, version: datetime) -> bool:
    """Whether the connection's tokens changed (another worker rotated them) since `version`."""
    connection = await session.get(DeviceConnection, connection_id)
    return connection is not None and connection.updated_at != version


async def revoked(ctx: Context, uow: UnitOfWork, connection_id: uuid.UUID) -> None:
    """The provider refused the athlete's authorization: the connection is marked revoked,
    waiting pushes wait for a reconnection (NOT_CONNECTED), and the athlete is told."""
    connection = await uow.session.get(DeviceConnection, connection_id, with_for_update=True)
    if connection is None or connection.status == REVOKED.value:
        return
    connection.status, connection.updated_at = REVOKED.value, ctx.clock.now()
    for export in await repository.exports_of(
        uow.session, connection.user_id, {ExportStatus.PENDING.value}, date.min
    ):
        if export.provider == connection.provider:
            export.status, export.next_attempt_at = ExportStatus.NOT_CONNECTED.value, None
            export.lease_until = None
    await notify(
        ctx,
        uow,
        connection.user_id,
        NotificationType.DEVICE_DISCONNECTED,
        {
            "provider": connection.provider,
            "reason": f"{connection.provider} no longer accepts Setpoint's access: reconnect",
        },
    )


# --- the athlete's connections --------------------------------------------------------------


async def connections(
    session: AsyncSession, actor: Actor, athlete_id: uuid.UUID | None
) -> list[DeviceConnection]:
    return await repository.connections_of(session, authz.athlete(actor, athlete_id))


async def set_primary(ctx: Context, uow: UnitOfWork, actor: Actor, provider: str) -> None:
    """Make `provider` the one planned sessions go to; upcoming ones move there (the copies
    at the other provider are withdrawn)."""
    session = uow.session
    mine = await repository.connections_of(session, actor.user_id)
    known(provider)
    if not any(c.provider == provider and c.status == CONNECTED.value for c in mine):
        raise NotFound(f"device {provider} is not connected")
    for connection in mine:
        connection.primary = connection.provider == provider
    await session.flush()
    statuses = {s.value for s in ExportStatus}
    await requeue(ctx, uow, actor.user_id, statuses)


async def disconnect(ctx: Context, actor: Actor, provider: str) -> None:
    """Revoke Setpoint's access at the provider (best effort) and forget the tokens;
    sessions still waiting for this device become NOT_CONNECTED."""
    async with ctx.db.transaction(write=False) as uow:
        connection = await repository.connection(uow.session, actor.user_id, known(provider))
        if connection is None:
            raise NotFound(f"device {provider} is not connected")
        tokens = await token_set(ctx, uow.session, connection)
    providers = ctx.part(Providers)
    if connection.status == CONNECTED.value and provider in providers.configured:
        live = providers.tokens(provider, tokens, save=_discard, account=str(actor.user_id))
        try:
            await providers.client(provider).disconnect(live)
        except ProviderError as exc:
            log.warning("provider refused the revocation", provider=provider, error=exc.code)
    async with ctx.db.transaction() as uow:
        connection = await repository.connection(uow.session, actor.user_id, provider, lock=True)
        if connection is None:
            return
        await uow.session.delete(connection)
        await uow.session.flush()
        for export in await repository.exports_of(
            uow.session, actor.user_id, {ExportStatus.PENDING.value}, date.min
        ):
            if export.provider == provider:
                await service.requeue_export(ctx, uow, export)


async def _discard(_: TokenSet) -> None:
    return None  # the tokens are about to be forgotten


async def requeue(ctx: Context, uow: UnitOfWork, athlete_id: uuid.UUID, statuses: set[str]) -> None:
    """Queue again the athlete's exports in `statuses`, of today (in the athlete's zone) and
    later, to the provider they should go to now."""
    profile = await uow.session.get(AthleteProfile, athlete_id)
    today = ctx.clock.now().astimezone(ZoneInfo(profile.time_zone if profile else "UTC")).date()
    for export in await repository.exports_of(uow.session, athlete_id, statuses, today):
        await service.requeue_export(ctx, uow, export)
