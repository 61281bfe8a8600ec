// The player's time: rendered from the server's anchors and clock, never from counted ticks.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  ServerClock,
  countdownCue,
  formatClock,
  isNewer,
  timersAt,
} from "../../src/setpoint/web/static/js/clock.js";

const running = {
  id: "s1",
  status: "in_progress",
  elapsed_s: 100,
  segment_elapsed_s: 40,
  segment_remaining_s: 20,
  rest_remaining_s: null,
  server_time: 1000,
  revision: 3,
};

test("formats MM:SS, and H:MM:SS from an hour on", () => {
  assert.equal(formatClock(0), "00:00");
  assert.equal(formatClock(59.99), "00:59");
  assert.equal(formatClock(61), "01:01");
  assert.equal(formatClock(3599), "59:59");
  assert.equal(formatClock(3600), "1:00:00");
  assert.equal(formatClock(36061), "10:01:01");
  assert.equal(formatClock(-3), "00:00");
});

test("a running session moves with the server's clock", () => {
  const t = timersAt(running, 1012.5);
  assert.equal(t.elapsed_s, 112.5);
  assert.equal(t.segment_elapsed_s, 52.5);
  assert.equal(t.segment_remaining_s, 7.5);
  assert.equal(t.overdue_s, -7.5);
});

test("the remaining time stops at zero until the server announces the next segment", () => {
  const t = timersAt(running, 1030);
  assert.equal(t.segment_remaining_s, 0);
  assert.equal(t.elapsed_s, 130); // the moving time goes on across the boundary
  assert.equal(t.overdue_s, 10);
});

test("a paused session does not move", () => {
  const t = timersAt({ ...running, status: "paused" }, 5000);
  assert.equal(t.elapsed_s, 100);
  assert.equal(t.segment_remaining_s, 20);
  assert.equal(t.overdue_s, null);
});

test("open segments have no remaining time", () => {
  assert.equal(timersAt({ ...running, segment_remaining_s: null }, 1010).segment_remaining_s, null);
});

test("a device clock that is wrong by hours shows the server's time", () => {
  const clock = new ServerClock();
  const deviceWrongBy = -7200; // the phone is two hours behind
  clock.sync(1000, 1000 + deviceWrongBy);
  const fiveSecondsLater = 1005 + deviceWrongBy;
  assert.equal(timersAt(running, clock.now(fiveSecondsLater)).elapsed_s, 105);
});

test("the offset takes the middle of the round trip when the send time is known", () => {
  const clock = new ServerClock();
  clock.sync(1000, 501, 499);
  assert.equal(clock.offset_s, 500);
});

test("a frame after a long sleep renders the right time, not the time of the last frame", () => {
  const clock = new ServerClock();
  clock.sync(1000, 1000);
  assert.equal(formatClock(timersAt(running, clock.now(1000 + 600)).elapsed_s), "11:40");
});

test("3-2-1 counts when the remaining time crosses each mark, once", () => {
  assert.equal(countdownCue(3.1, 2.9), 3);
  assert.equal(countdownCue(2.9, 2.7), null);
  assert.equal(countdownCue(2.05, 1.95), 2);
  assert.equal(countdownCue(1.1, 0.9), 1);
  assert.equal(countdownCue(0.9, 0), null);
  assert.equal(countdownCue(10, 1.5), null); // a woken tab announces nothing stale
  assert.equal(countdownCue(null, 2.5), null);
});

test("older states are ignored; newer revisions and later reads are taken", () => {
  assert.ok(isNewer(running, null));
  assert.ok(isNewer({ ...running, revision: 4, server_time: 900 }, running));
  assert.ok(!isNewer({ ...running, revision: 2, server_time: 2000 }, running));
  assert.ok(isNewer({ ...running, server_time: 1001 }, running));
  assert.ok(!isNewer({ ...running, server_time: 999 }, running));
  assert.ok(isNewer({ ...running, id: "s2", revision: 1 }, running));
});
