// The workout builder's model (pure): a form-friendly copy of the Workout JSON, back and forth.
// Form values stay as typed (strings) until `toWorkout` writes the JSON, so the server's
// validation speaks of what the user wrote. Fields the form does not edit (a strength
// exercise, notes, anything unknown) ride along untouched in `extra`.

export const SPORTS = ["run", "treadmill", "bike", "row", "strength", "other"];
export const INTENSITIES = ["warmup", "active", "interval", "recovery", "rest", "cooldown"];
export const DURATIONS = { time: "seconds", distance: "meters", reps: "reps", open: null };
export const DURATION_LABELS = { time: "Seconds", distance: "Metres", reps: "Reps" };

/** The fields each target type takes, as the Workout JSON names them. */
export const TARGETS = {
  hr_zone: ["zone"],
  hr_range: ["low", "high"],
  speed: ["low", "high"],
  pace: ["low", "high"],
  power: ["low", "high"],
  power_pct_ftp: ["low", "high"],
  cadence: ["low", "high"],
  incline: ["value"],
  rpe: ["value"],
};
export const TARGET_LABELS = {
  hr_zone: "Heart-rate zone",
  hr_range: "Heart rate (bpm)",
  speed: "Speed (m/s)",
  pace: "Pace (s/km)",
  power: "Power (W)",
  power_pct_ftp: "Power (% FTP)",
  cadence: "Cadence (rpm)",
  incline: "Incline (%)",
  rpe: "RPE",
};

const STEP_KEYS = new Set(["name", "intensity", "duration", "targets"]);
const WORKOUT_KEYS = new Set(["name", "sport", "description", "steps"]);

const text = (v) => (v === null || v === undefined ? "" : String(v));
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const rest = (obj, known) => Object.fromEntries(Object.entries(obj).filter(([k]) => !known.has(k)));

export function newStep(intensity = "active", seconds = 300) {
  return {
    kind: "step",
    name: "",
    intensity,
    duration: { type: "time", value: String(seconds) },
    targets: [],
    extra: {},
  };
}

export function newRepeat() {
  return {
    kind: "repeat",
    count: "4",
    blocks: [newStep("interval", 180), newStep("recovery", 120)],
    extra: {},
  };
}

export function newTarget(type = "hr_zone") {
  return { type, zone: type === "hr_zone" ? "3" : "", low: "", high: "", value: "" };
}

export function newWorkout() {
  return {
    name: "New workout",
    sport: "run",
    description: "",
    blocks: [newStep("warmup", 600), newRepeat(), newStep("cooldown", 300)],
    extra: {},
  };
}

// --- JSON → form ------------------------------------------------------------------------------

export function fromWorkout(json) {
  const doc = isObject(json) ? json : {};
  return {
    name: text(doc.name),
    sport: text(doc.sport) || "run",
    description: text(doc.description),
    blocks: blocksFrom(doc.steps),
    extra: rest(doc, WORKOUT_KEYS),
  };
}

function blocksFrom(steps) {
  return (Array.isArray(steps) ? steps : []).map((item) => {
    const doc = isObject(item) ? item : {};
    if ("repeat" in doc) {
      return {
        kind: "repeat",
        count: text(doc.repeat),
        blocks: blocksFrom(doc.steps),
        extra: rest(doc, new Set(["repeat", "steps"])),
      };
    }
    return stepFrom(doc);
  });
}

function stepFrom(doc) {
  const d = isObject(doc.duration) ? doc.duration : null;
  const field = d ? DURATIONS[d.type] : null;
  return {
    kind: "step",
    name: text(doc.name),
    intensity: text(doc.intensity) || (doc.exercise ? "" : "active"),
    duration: d ? { type: text(d.type), value: field ? text(d[field]) : "" } : { type: "", value: "" },
    targets: (Array.isArray(doc.targets) ? doc.targets : []).map((t) => {
      const target = isObject(t) ? t : {};
      return {
        type: text(target.type),
        zone: text(target.zone),
        low: text(target.low),
        high: text(target.high),
        value: text(target.value),
      };
    }),
    extra: rest(doc, STEP_KEYS),
  };
}

// --- form → JSON ------------------------------------------------------------------------------

/** A typed number when the text is one, else the text itself (the server names the field). */
export function numberOrText(value) {
  const s = text(value).trim();
  if (s === "") return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : s;
}

export function toWorkout(model) {
  const doc = { ...model.extra, name: model.name.trim(), sport: model.sport };
  if (model.description.trim()) doc.description = model.description.trim();
  doc.steps = blocksTo(model.blocks);
  return doc;
}

function blocksTo(blocks) {
  return blocks.map((b) =>
    b.kind === "repeat"
      ? { ...b.extra, repeat: numberOrText(b.count) ?? null, steps: blocksTo(b.blocks) }
      : stepTo(b),
  );
}

function stepTo(step) {
  const doc = {};
  if (step.name.trim()) doc.name = step.name.trim();
  if (step.intensity) doc.intensity = step.intensity;
  const type = step.duration.type;
  if (type) {
    doc.duration = { type };
    const field = DURATIONS[type];
    if (field) {
      const value = numberOrText(step.duration.value);
      if (value !== undefined) doc.duration[field] = value;
    }
  }
  if (step.targets.length) {
    doc.targets = step.targets.map((t) => {
      const out = { type: t.type };
      for (const field of TARGETS[t.type] ?? []) {
        const value = numberOrText(t[field]);
        if (value !== undefined) out[field] = value;
      }
      return out;
    });
  }
  return { ...doc, ...step.extra };
}

// --- editing by path (a path is the list of indices down the nested blocks) -----------------

function clone(model) {
  return structuredClone(model);
}

function siblings(model, path) {
  let list = model.blocks;
  for (const i of path.slice(0, -1)) list = list[i].blocks;
  return list;
}

export function blockAt(model, path) {
  return siblings(model, path)[path.at(-1)];
}

/** A copy with `block` added at the end of the list at `parentPath` ([] for the top level). */
export function addBlock(model, parentPath, block) {
  const out = clone(model);
  const list = parentPath.length ? blockAt(out, parentPath).blocks : out.blocks;
  list.push(block);
  return out;
}

export function removeBlock(model, path) {
  const out = clone(model);
  siblings(out, path).splice(path.at(-1), 1);
  return out;
}

/** A copy with the block moved `delta` places among its siblings (clamped). */
export function moveBlock(model, path, delta) {
  const out = clone(model);
  const list = siblings(out, path);
  const from = path.at(-1);
  const to = Math.max(0, Math.min(list.length - 1, from + delta));
  list.splice(to, 0, ...list.splice(from, 1));
  return out;
}

/** A copy with `change(block)` applied to the block at `path`. */
export function updateBlock(model, path, change) {
  const out = clone(model);
  change(blockAt(out, path));
  return out;
}

/** `steps[1].steps[0]` for path [1, 0]: the block's place in the Workout JSON. */
export function jsonPath(path) {
  return path.map((i) => `steps[${i}]`).join(".");
}

/** "Step 2", "Step 2.1", "Repeat 3": the accessible name of a block's group. */
export function blockLabel(kind, path) {
  return `${kind === "repeat" ? "Repeat" : "Step"} ${path.map((i) => i + 1).join(".")}`;
}

/** The server's problems sorted by the block they concern: `{"steps[1]": ["targets[0]: low
 * 170 > high 160"], "": ["name: must not be empty"]}`. A problem goes to the deepest block its
 * path names; the rest of the path stays in the message. */
export function problemsByBlock(problems) {
  const out = {};
  for (const problem of problems) {
    const cut = problem.indexOf(": ");
    const path = cut < 0 ? "" : problem.slice(0, cut);
    const rule = cut < 0 ? problem : problem.slice(cut + 2);
    const block = /^steps\[\d+\](?:\.steps\[\d+\])*/.exec(path)?.[0] ?? "";
    const inner = path.slice(block.length).replace(/^\./, "");
    const message = block ? (inner ? `${inner}: ${rule}` : rule) : problem;
    (out[block] ??= []).push(message);
  }
  return out;
}
