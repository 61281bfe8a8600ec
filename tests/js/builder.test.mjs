// The workout builder's model: the form writes the Workout JSON the server reads, reads any
// Workout JSON back without losing what the form does not edit, edits blocks by path, and
// sorts the server's problems by the step they concern.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  addBlock,
  blockAt,
  blockLabel,
  fromWorkout,
  jsonPath,
  moveBlock,
  newRepeat,
  newStep,
  newTarget,
  newWorkout,
  numberOrText,
  problemsByBlock,
  removeBlock,
  toWorkout,
  updateBlock,
} from "../../src/setpoint/web/static/js/builder.js";

// DESIGN §5's example, as users write it.
const THRESHOLD = {
  name: "5x3 min threshold",
  sport: "run",
  steps: [
    { name: "Warm up", intensity: "warmup", duration: { type: "time", seconds: 600 }, targets: [{ type: "hr_zone", zone: 2 }] },
    {
      repeat: 5,
      steps: [
        { intensity: "interval", duration: { type: "time", seconds: 180 }, targets: [{ type: "hr_range", low: 150, high: 165 }] },
        { intensity: "recovery", duration: { type: "time", seconds: 120 } },
      ],
    },
    { intensity: "cooldown", duration: { type: "distance", meters: 1000 } },
    { name: "Strides", intensity: "active", duration: { type: "open" } },
  ],
};

test("Workout JSON → form → the same Workout JSON", () => {
  assert.deepEqual(toWorkout(fromWorkout(THRESHOLD)), THRESHOLD);
});

test("the form's typed text becomes numbers; an empty field is left out", () => {
  const model = fromWorkout({ name: " Tempo ", sport: "bike", steps: [] });
  model.blocks.push({
    kind: "step",
    name: "",
    intensity: "interval",
    duration: { type: "time", value: " 240 " },
    targets: [{ ...newTarget("power"), low: "250", high: "" }, { ...newTarget("cadence"), low: "90", high: "95" }],
    extra: {},
  });
  assert.deepEqual(toWorkout(model), {
    name: "Tempo",
    sport: "bike",
    steps: [
      {
        intensity: "interval",
        duration: { type: "time", seconds: 240 },
        targets: [{ type: "power", low: 250 }, { type: "cadence", low: 90, high: 95 }],
      },
    ],
  });
  assert.equal(numberOrText("12.5"), 12.5);
  assert.equal(numberOrText("abc"), "abc"); // the server names the field and the rule
  assert.equal(numberOrText(""), undefined);
});

test("only the fields of the chosen duration and target types are written", () => {
  const step = { ...newStep(), duration: { type: "open", value: "300" }, targets: [{ ...newTarget("hr_zone"), zone: "4", low: "1" }] };
  const doc = toWorkout({ ...fromWorkout({ name: "x", sport: "run", steps: [] }), blocks: [step] });
  assert.deepEqual(doc.steps[0], { intensity: "active", duration: { type: "open" }, targets: [{ type: "hr_zone", zone: 4 }] });
});

test("what the form does not edit rides along: exercises, notes, unknown fields", () => {
  const squat = { name: "Back squat", type: "standard", sets: 3, reps: 5, weight_kg: 100, rest_s: 90 };
  const doc = {
    name: "Legs",
    sport: "strength",
    description: "Heavy day",
    steps: [{ exercise: squat, notes: "belt on" }],
  };
  const model = fromWorkout(doc);
  assert.equal(model.blocks[0].intensity, "");
  assert.deepEqual(toWorkout(model), doc);
});

test("a repeat's count that is not a number still reaches the server", () => {
  const model = fromWorkout(THRESHOLD);
  model.blocks[1].count = "";
  assert.equal(toWorkout(model).steps[1].repeat, null);
});

test("blocks are added, moved, changed and removed by path, leaving the original alone", () => {
  const start = fromWorkout(THRESHOLD);
  const added = addBlock(start, [1], newStep("rest", 30));
  assert.equal(blockAt(added, [1]).blocks.length, 3);
  assert.equal(blockAt(start, [1]).blocks.length, 2);
  const moved = moveBlock(added, [1, 2], -2);
  assert.deepEqual(blockAt(moved, [1]).blocks.map((b) => b.intensity), ["rest", "interval", "recovery"]);
  assert.deepEqual(moveBlock(start, [0], -1).blocks.map((b) => b.kind), ["step", "repeat", "step", "step"]);
  const renamed = updateBlock(start, [3], (s) => (s.name = "Fast strides"));
  assert.equal(toWorkout(renamed).steps[3].name, "Fast strides");
  const removed = removeBlock(start, [1]);
  assert.equal(toWorkout(removed).steps.length, 3);
  const repeat = toWorkout(addBlock(start, [], newRepeat())).steps.at(-1);
  assert.equal(repeat.repeat, 4);
  assert.equal(repeat.steps.length, 2);
});

test("a new workout is valid-looking Workout JSON", () => {
  const doc = toWorkout(newWorkout());
  assert.equal(doc.sport, "run");
  assert.deepEqual(doc.steps.map((s) => s.intensity ?? "repeat"), ["warmup", "repeat", "cooldown"]);
});

test("names and JSON paths of blocks", () => {
  assert.equal(blockLabel("step", [1]), "Step 2");
  assert.equal(blockLabel("step", [1, 0]), "Step 2.1");
  assert.equal(blockLabel("repeat", [2]), "Repeat 3");
  assert.equal(jsonPath([1, 0]), "steps[1].steps[0]");
});

test("problems go to the deepest step their path names", () => {
  const sorted = problemsByBlock([
    "steps[1].targets[0]: low 170 > high 160",
    "steps[1].steps[0].duration.seconds: 0 is outside 1–86400",
    "steps[1].repeat: 0 is outside 1–100",
    "steps[2]: a step needs a duration",
    "name: must not be empty",
    "steps: a workout needs at least one step",
  ]);
  assert.deepEqual(sorted, {
    "steps[1]": ["targets[0]: low 170 > high 160", "repeat: 0 is outside 1–100"],
    "steps[1].steps[0]": ["duration.seconds: 0 is outside 1–86400"],
    "steps[2]": ["a step needs a duration"],
    "": ["name: must not be empty", "steps: a workout needs at least one step"],
  });
});
