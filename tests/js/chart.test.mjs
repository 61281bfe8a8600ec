// The summary chart's geometry: segments as they were run, the line broken at dropouts.
import assert from "node:assert/strict";
import { test } from "node:test";

import { chartModel, segmentSpans } from "../../src/setpoint/web/static/js/chart.js";

const events = [
  { type: "SessionStarted", at: 100, payload: { at: 100 } },
  { type: "SegmentChanged", at: 160, payload: { to_index: 1, at: 160 } },
  { type: "SegmentChanged", at: 170, payload: { to_index: 0, at: 170 } },
  { type: "SessionCompleted", at: 200, payload: { at: 200 } },
];

test("segments are drawn where they ran, a step back included", () => {
  assert.deepEqual(segmentSpans(events, 999), [
    { index: 0, from: 100, to: 160 },
    { index: 1, from: 160, to: 170 },
    { index: 0, from: 170, to: 200 },
  ]);
});

test("a session still running ends its last span at the given time", () => {
  assert.deepEqual(segmentSpans(events.slice(0, 2), 180).at(-1), { index: 1, from: 160, to: 180 });
});

test("the line breaks where the heart rate was unknown; bands follow the spans", () => {
  const points = [100, 105, 110, 150, 155].map((t) => ({ t, bpm: 120 }));
  const model = chartModel({
    points,
    bucket_s: 5,
    spans: segmentSpans(events, 200),
    bands: [{ low: 110, high: 130 }, null],
    width: 100,
    height: 50,
  });
  assert.equal(model.line.match(/M/g).length, 2);
  assert.equal(model.bands.length, 2); // segment 1 has no band
  assert.equal(model.bands[0].x, 0);
  assert.equal(model.duration_s, 100);
});

test("no heart rate and no spans draws an empty chart", () => {
  const model = chartModel({ points: [], bucket_s: 5, spans: [], bands: [], width: 100, height: 50 });
  assert.equal(model.line, "");
});
