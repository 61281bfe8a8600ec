// How a planned session reads: the export status word exactly as the API's, where and when
// or why, Retry only when FAILED or NOT_CONNECTED; and what was done, coloured by the plan's
// compliance (a past session not done is red).
import assert from "node:assert/strict";
import { test } from "node:test";

import { describeExecution, describeExport, ordered, percent, plannedOn, providerName, startable } from "../../src/setpoint/web/static/js/plan.js";

const exp = (fields) => ({
  status: "PENDING",
  provider: "garmin",
  exported_at: null,
  external_workout_id: null,
  last_error: null,
  attempts: 0,
  next_attempt_at: null,
  ...fields,
});

test("the status word is the API's; Retry only for FAILED and NOT_CONNECTED", () => {
  for (const status of ["NOT_CONNECTED", "PENDING", "SENT", "FAILED"]) {
    const shown = describeExport(exp({ status }));
    assert.equal(shown.status, status);
    assert.equal(shown.retry, status === "FAILED" || status === "NOT_CONNECTED", status);
  }
  assert.equal(describeExport(null), null); // STRENGTH sessions have no export
});

test("SENT names the provider and the time; FAILED the reason", () => {
  const sent = describeExport(exp({ status: "SENT", provider: "wahoo", exported_at: "2027-01-04T14:05:00Z" }), (t) => `at ${t}`);
  assert.equal(sent.detail, "to Wahoo · at 2027-01-04T14:05:00Z");
  assert.equal(sent.tone, "ok");
  const failed = describeExport(exp({ status: "FAILED", last_error: "Garmin refused the workout (HTTP 400)" }));
  assert.equal(failed.detail, "Garmin refused the workout (HTTP 400)");
  assert.equal(failed.tone, "bad");
  assert.equal(describeExport(exp({ status: "NOT_CONNECTED", provider: null })).detail, "no device connected");
  const retrying = describeExport(exp({ attempts: 2, last_error: "Garmin is not available right now (HTTP 503)" }));
  assert.equal(retrying.detail, "sending to Garmin · retrying: Garmin is not available right now (HTTP 503)");
  assert.equal(providerName("garmin"), "Garmin");
});

const execution = (fields) => ({
  session_id: "s1",
  status: "completed",
  duration_s: 2700,
  planned_duration_s: 2700,
  compliance: { colour: "green", time_in_target_s: 1500 },
  ...fields,
});

test("what was done, with the plan's compliance colour", () => {
  const done = describeExecution(execution({ duration_s: 2520 }), "past");
  assert.equal(done.colour, "green");
  assert.equal(done.text, "Completed · 42 min of 45 min (93 %) · 25 min in target");
  assert.equal(done.colourText, "on plan");
  const short = describeExecution(execution({ duration_s: 1800, compliance: { colour: "amber", time_in_target_s: null } }), "past");
  assert.equal(short.colour, "amber");
  assert.equal(short.text, "Completed · 30 min of 45 min (67 %)");
  const red = describeExecution(execution({ status: "abandoned", duration_s: 600, compliance: { colour: "red", time_in_target_s: null } }), "today");
  assert.equal(red.colour, "red");
  assert.match(red.text, /^Abandoned/);
});

test("a session running has no colour yet; open workouts have no percentage", () => {
  const running = describeExecution(execution({ status: "in_progress", duration_s: 300, compliance: null }), "today");
  assert.equal(running.colour, null);
  assert.equal(running.text, "In progress · 5 min of 45 min (11 %)");
  const open = describeExecution(execution({ planned_duration_s: null, compliance: { colour: null, time_in_target_s: null } }), "past");
  assert.equal(open.text, "Completed · 45 min");
  assert.equal(open.colour, null);
});

test("nothing done: red once the day has passed, nothing to show before", () => {
  const none = { session_id: null, status: null, duration_s: null, planned_duration_s: 2700, compliance: null };
  assert.deepEqual(describeExecution(none, "past"), { status: "not done", text: "Not done", colour: "red", colourText: "off plan" });
  assert.equal(describeExecution(none, "today"), null);
  assert.equal(describeExecution(none, "future"), null);
});

test("percent and order", () => {
  assert.equal(percent(2160, 2700), "80 %");
  const s = (id, date, created_at) => ({ id, date, created_at });
  const sorted = ordered([s("b", "2027-01-05", "2"), s("a", "2027-01-04", "9"), s("c", "2027-01-05", "1")]);
  assert.deepEqual(sorted.map((x) => x.id), ["a", "c", "b"]);
});

test("a day's sessions in order; only today's not yet run can be started", () => {
  const none = { session_id: null, status: null, duration_s: null, planned_duration_s: 1800, compliance: null };
  const s = (id, date, created_at, execution = none) => ({ id, date, created_at, session_id: execution.session_id, execution });
  const ran = { ...none, session_id: "r1", status: "completed", duration_s: 1700 };
  const sessions = [
    s("later", "2027-01-05", "3"),
    s("yesterday", "2027-01-04", "1"),
    s("second", "2027-01-05", "2"),
    s("run", "2027-01-05", "1", ran),
  ];
  assert.deepEqual(plannedOn(sessions, "2027-01-05").map((x) => x.id), ["run", "second", "later"]);
  assert.deepEqual(plannedOn(sessions, "2027-01-07"), []);
  const today = "2027-01-05";
  assert.deepEqual(sessions.filter((x) => startable(x, today)).map((x) => x.id), ["later", "second"]);
  assert.equal(startable(s("tomorrow", "2027-01-06", "1"), today), false);
  assert.equal(startable({ id: "bare", date: today, session_id: "r2" }, today), false); // no execution block
});
