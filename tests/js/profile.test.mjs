// The builder's intensity profile: bars as wide as their segments, as tall as their effort,
// on the target most segments share; estimated widths for steps of unknown length.
import assert from "node:assert/strict";
import { test } from "node:test";

import { drawnDurations, effort, intensityProfile, levels } from "../../src/setpoint/web/static/js/profile.js";

const seg = (intensity, duration_s, targets = [], extra = {}) => ({ name: intensity, intensity, duration_s, targets, ...extra });

test("widths follow the durations and fill the box", () => {
  const { bars, total_s } = intensityProfile([seg("warmup", 600), seg("interval", 300), seg("cooldown", 300)], { width: 1200, height: 100 });
  assert.equal(total_s, 1200);
  assert.deepEqual(bars.map((b) => [b.x, b.width]), [[0, 600], [600, 300], [900, 300]]);
  for (const b of bars) assert.equal(b.y + b.height, 100); // standing on the bottom edge
});

test("heights follow the shared target, scaled from the lowest to the highest", () => {
  const segments = [
    seg("warmup", 600, [{ type: "power", low: 100, high: 140 }]), // 120 W
    seg("interval", 300, [{ type: "power", low: 280, high: 320 }]), // 300 W
    seg("recovery", 300, [{ type: "power", low: 200, high: 220 }]), // 210 W
    seg("cooldown", 300), // no power target: by intensity
  ];
  const [low, high, middle, cool] = levels(segments);
  assert.equal(low, 0.25);
  assert.equal(high, 1);
  assert.ok(Math.abs(middle - 0.625) < 1e-9);
  assert.equal(cool, 0.4);
});

test("a faster pace is a harder effort; zones and single values count", () => {
  assert.ok(effort({ type: "pace", low: 240, high: 250 }) > effort({ type: "pace", low: 300, high: 320 }));
  assert.equal(effort({ type: "hr_zone", zone: 4 }), 4);
  assert.equal(effort({ type: "incline", value: 3 }), 3);
  assert.equal(effort({ type: "rpe" }), null);
  const [easy, hard] = levels([seg("active", 60, [{ type: "pace", low: 330, high: 330 }]), seg("interval", 60, [{ type: "pace", low: 240, high: 240 }])]);
  assert.ok(hard > easy);
});

test("without targets, intensity decides; all on one level is drawn at 0.7", () => {
  const [rest, interval] = levels([seg("rest", 60), seg("interval", 60)]);
  assert.ok(interval > rest);
  assert.deepEqual(levels([seg("active", 60, [{ type: "hr_zone", zone: 3 }]), seg("active", 60, [{ type: "hr_zone", zone: 3 }])]), [0.7, 0.7]);
});

test("open and distance steps get estimated widths", () => {
  const spans = drawnDurations([seg("active", null), seg("cooldown", null, [], { distance_m: 1500 }), seg("active", 120)], 90);
  assert.deepEqual(spans, [
    { seconds: 90, estimated: true },
    { seconds: 500, estimated: true },
    { seconds: 120, estimated: false },
  ]);
  const { bars } = intensityProfile([seg("active", null), seg("active", 60)], { width: 100, height: 10, openSeconds: 60 });
  assert.deepEqual(bars.map((b) => [b.width, b.estimated]), [[50, true], [50, false]]);
});

test("ticks every few minutes, at most seven; nothing to draw for no segments", () => {
  const { ticks } = intensityProfile([seg("active", 3600)], { width: 600, height: 10 });
  assert.deepEqual(ticks.map((t) => t.label), ["0′", "10′", "20′", "30′", "40′", "50′", "60′"]);
  assert.equal(ticks[1].x, 100);
  assert.deepEqual(intensityProfile([], { width: 600, height: 10 }), { bars: [], ticks: [], total_s: 0 });
});
