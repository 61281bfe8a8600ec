"""Webhooks cannot reach the server's own network: internal destinations are refused when a
webhook is registered and again on every delivery, after resolving the name; the call goes to
the address checked, redirects are not followed, and the error shown is coarse."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from setpoint.config import Settings
from setpoint.context import Context
from setpoint.notifications.destinations import REFUSED
from setpoint.notifications.jobs import WebhookDeliveries
from tests.conftest import MakeUser, UserHandle
from tests.integration.test_sessions import new_session, send
from tests.support import SECRET, Receiver


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webhook_allow_private": False})


def resolving(monkeypatch: pytest.MonkeyPatch, answers: dict[str, str]) -> None:
    """The event loop's resolver answers `answers` (name → IPv4 address); nothing else."""

    async def getaddrinfo(host: str, port: int, **_: Any) -> list[Any]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "unknown")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", getaddrinfo)


async def deliver_one(app: FastAPI, client: httpx.AsyncClient, athlete: UserHandle) -> None:
    """A session started and finished (one SessionCompleted), and the delivery job run."""
    sid = (await new_session(client, athlete))["id"]
    await send(client, athlete, sid, "start")
    await send(client, athlete, sid, "finish")
    ctx: Context = app.state.context
    job = WebhookDeliveries(ctx)
    await job.run_due(job.now())


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8799/internal-admin",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost:8000/",
        "http://[::1]/",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://224.0.0.1/",
        "http://0.0.0.0:22/",
        "http://[::ffff:127.0.0.1]/",
        "http://2130706433/",  # 127.0.0.1 as one number
    ],
)
async def test_internal_destinations_are_refused_at_registration(
    client: httpx.AsyncClient, make_user: MakeUser, url: str
) -> None:
    athlete = await make_user()
    response = await client.post(
        "/api/webhooks", headers=athlete.headers, json={"url": url, "secret": SECRET}
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith("url: ")


async def test_a_public_destination_is_accepted(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    athlete = await make_user()
    response = await client.post(
        "/api/webhooks",
        headers=athlete.headers,
        json={"url": "https://93.184.215.14/hook", "secret": SECRET},
    )
    assert response.status_code == 201, response.text


async def test_a_name_that_turns_internal_is_refused_on_delivery(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    athlete = await make_user()
    port = receiver.url.split(":")[2].split("/")[0]
    resolving(monkeypatch, {"hooks.example": "93.184.215.14"})
    hook = await client.post(
        "/api/webhooks",
        headers=athlete.headers,
        json={"url": f"http://hooks.example:{port}/hook", "secret": SECRET},
    )
    assert hook.status_code == 201

    resolving(monkeypatch, {"hooks.example": "127.0.0.1"})  # DNS rebinding
    await deliver_one(app, client, athlete)
    assert receiver.received == []
    deliveries = (
        await client.get(f"/api/webhooks/{hook.json()['id']}/deliveries", headers=athlete.headers)
    ).json()
    assert [d["last_error"] for d in deliveries] == [REFUSED]
    assert port not in REFUSED


async def test_a_stored_internal_destination_is_refused_on_delivery(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, receiver: Receiver
) -> None:
    """A webhook saved while private destinations were allowed is refused once they are not."""
    ctx: Context = app.state.context
    athlete = await make_user()
    ctx.settings.webhook_allow_private = True
    hook = await client.post(
        "/api/webhooks", headers=athlete.headers, json={"url": receiver.url, "secret": SECRET}
    )
    ctx.settings.webhook_allow_private = False
    await deliver_one(app, client, athlete)
    assert receiver.received == []
    deliveries = (
        await client.get(f"/api/webhooks/{hook.json()['id']}/deliveries", headers=athlete.headers)
    ).json()
    assert deliveries[0]["last_error"] == REFUSED


async def test_the_call_goes_to_the_resolved_address_and_redirects_are_not_followed(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ctx: Context = app.state.context
    ctx.settings.webhook_allow_private = True  # the receiver listens on loopback
    athlete = await make_user()
    port = receiver.url.split(":")[2].split("/")[0]
    resolving(monkeypatch, {"hooks.example": "127.0.0.1"})  # only this resolver knows it
    hook = await client.post(
        "/api/webhooks",
        headers=athlete.headers,
        json={"url": f"http://hooks.example:{port}/hook", "secret": SECRET},
    )
    receiver.status = 302
    await deliver_one(app, client, athlete)
    assert len(receiver.received) == 1
    assert receiver.received[0]["headers"]["Host"] == f"hooks.example:{port}"
    deliveries = (
        await client.get(f"/api/webhooks/{hook.json()['id']}/deliveries", headers=athlete.headers)
    ).json()
    assert deliveries[0]["last_error"] == "HTTP 302"
