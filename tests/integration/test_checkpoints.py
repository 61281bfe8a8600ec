from __future__ import annotations

import httpx

from tests.conftest import MakeUser
from tests.integration.test_sessions import new_session, send, state
from tests.support import FakeClock


async def test_checkpoint_out_and_back_in(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    athlete = await make_user()
    sid = (await new_session(client, athlete))["id"]
    await send(client, athlete, sid, "start")
    clock.advance(150)
    out = await client.get(f"/api/sessions/{sid}/checkpoint", headers=athlete.headers)
    assert out.status_code == 200 and "attachment" in out.headers["content-disposition"]
    doc = out.json()
    assert {
        k: doc[k] for k in ("state", "phase_index", "elapsed_secs", "segment_elapsed_secs")
    } == {"state": "in_progress", "phase_index": 1, "elapsed_secs": 150, "segment_elapsed_secs": 30}
    assert doc["plan"]["segments"][0]["duration_s"] == 120 and doc["last_checkpoint"].endswith(
        "+00:00"
    )

    await send(client, athlete, sid, "skip")  # the session moved on; the file brings it back
    clock.advance(60)
    restored = await client.post("/api/sessions/restore", json=doc, headers=athlete.headers)
    assert restored.status_code == 201, restored.text
    back = restored.json()
    assert back["id"] == sid  # still active: restored into the same session
    assert (
        back["status"],
        back["segment_index"],
        back["elapsed_s"],
        back["segment_elapsed_s"],
    ) == ("paused", 1, 150, 30)
    await send(client, athlete, sid, "resume")
    clock.advance(10)
    assert (await state(client, athlete, sid))["segment_elapsed_s"] == 40

    await send(client, athlete, sid, "abandon")
    again = await client.post("/api/sessions/restore", json=doc, headers=athlete.headers)
    assert again.status_code == 201 and again.json()["id"] != sid  # a new session of the workout
    assert again.json()["elapsed_s"] == 150


async def test_tampered_stale_and_foreign_checkpoints_are_refused(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FakeClock
) -> None:
    athlete, stranger = await make_user(), await make_user()
    sid = (await new_session(client, athlete))["id"]
    await send(client, athlete, sid, "start")
    doc = (await client.get(f"/api/sessions/{sid}/checkpoint", headers=athlete.headers)).json()

    tampered = await client.post(
        "/api/sessions/restore", json={**doc, "elapsed_secs": 9999}, headers=athlete.headers
    )
    assert tampered.status_code == 422 and tampered.json()["error"] == "invalid_checkpoint"
    assert "signature" in tampered.json()["detail"]
    unsigned = {k: v for k, v in doc.items() if k != "signature"}
    assert (
        await client.post("/api/sessions/restore", json=unsigned, headers=athlete.headers)
    ).status_code == 422
    for junk in ([1, 2], "text", {"signature": "00"}):
        r = await client.post("/api/sessions/restore", json=junk, headers=athlete.headers)
        assert r.status_code == 422, r.text
    foreign = await client.post("/api/sessions/restore", json=doc, headers=stranger.headers)
    assert foreign.status_code == 404
    assert (
        await client.get(f"/api/sessions/{sid}/checkpoint", headers=stranger.headers)
    ).status_code == 404

    clock.advance(3601)
    stale = await client.post("/api/sessions/restore", json=doc, headers=athlete.headers)
    assert stale.status_code == 422 and stale.json()["error"] == "stale_checkpoint"
    assert "force=true" in stale.json()["detail"]
    forced = await client.post(
        "/api/sessions/restore?force=true", json=doc, headers=athlete.headers
    )
    assert forced.status_code == 201 and forced.json()["status"] == "paused"
