// The workout builder: steps and repeats with their targets as a form, the same workout as
// Workout JSON beside it (either one can be edited), a live intensity profile and the
// server's validation messages next to the step they concern. Nothing is stored until Save.

import * as api from "../api.js";
import {
  DURATION_LABELS,
  DURATIONS,
  INTENSITIES,
  SPORTS,
  TARGET_LABELS,
  TARGETS,
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
  problemsByBlock,
  removeBlock,
  toWorkout,
  updateBlock,
} from "../builder.js";
import { formatClock } from "../clock.js";
import { field, h, mount, svg } from "../dom.js";
import { describeDuration } from "../format.js";
import { intensityProfile } from "../profile.js";

const CHECK_AFTER_MS = 250;
const CHART = { width: 360, height: 110, axis: 16 };
const DEFAULT_AMOUNT = { time: "300", distance: "1000", reps: "10" };
const FIELD_LABELS = { zone: "Zone", low: "Low", high: "High", value: "Value" };

export async function showBuilder(root, app, workoutId) {
  let model = newWorkout();
  if (workoutId) {
    const w = await api.workout(workoutId);
    model = fromWorkout({ name: w.name, sport: w.sport, description: w.description, steps: w.steps });
  }
  const builder = new Builder(root, app, model);
  return () => builder.close();
}

class Builder {
  constructor(root, app, model) {
    this.app = app;
    this.model = model;
    this.checking = 0; // the latest validation asked; older answers are ignored
    this.timer = null;
    this.messages = new Map(); // JSON path of a block → its message element

    this.name = h("input", { value: model.name, maxlength: 200, oninput: () => this.edited(() => (this.model.name = this.name.value)) });
    this.sport = h(
      "select",
      { onchange: () => this.edited(() => (this.model.sport = this.sport.value)) },
      SPORTS.map((s) => h("option", { value: s }, s)),
    );
    this.description = h("input", {
      maxlength: 2000,
      oninput: () => this.edited(() => (this.model.description = this.description.value)),
    });
    this.topProblems = h("ul", { class: "problems", "aria-live": "polite" });
    this.blocks = h("div", { class: "blocks" });
    this.json = h("textarea", {
      id: "workout-json",
      class: "json",
      rows: 18,
      spellcheck: "false",
      oninput: () => this.typedJson(),
    });
    this.jsonProblem = h("p", { class: "json-problem", "aria-live": "polite" });
    this.chart = svg("svg", {
      class: "profile",
      viewBox: `0 0 ${CHART.width} ${CHART.height + CHART.axis}`,
      role: "img",
      "aria-label": "Intensity profile",
    });
    this.chartNote = h("p", { class: "muted", "aria-live": "polite" });
    this.saveButton = h("button", { type: "button", class: "primary", onclick: () => this.save() }, "Save workout");

    mount(
      root,
      h("h1", { class: "page-title" }, "Workout builder"),
      h(
        "div",
        { class: "builder" },
        h(
          "form",
          { class: "card builder-form", "aria-label": "Workout", onsubmit: (e) => e.preventDefault() },
          h(
            "div",
            { class: "fields wide" },
            field("Name", this.name),
            field("Sport", this.sport),
          ),
          field("Description (optional)", this.description),
          this.topProblems,
          this.blocks,
          h(
            "div",
            { class: "actions start" },
            h("button", { type: "button", onclick: () => this.change((m) => addBlock(m, [], newStep())) }, "Add step"),
            h("button", { type: "button", onclick: () => this.change((m) => addBlock(m, [], newRepeat())) }, "Add repeat"),
          ),
        ),
        h(
          "div",
          { class: "builder-side" },
          h(
            "section",
            { class: "card preview", "aria-labelledby": "preview-title" },
            h("h2", { id: "preview-title" }, "Preview"),
            this.chart,
            this.chartNote,
            h("div", { class: "legend-row", "aria-hidden": "true" }, INTENSITIES.map((i) => h("span", { class: "legend" }, h("span", { class: `swatch i-${i}` }), i))),
          ),
          h(
            "section",
            { class: "card json-card" },
            h("label", { for: "workout-json" }, "Workout JSON"),
            this.json,
            this.jsonProblem,
            this.saveButton,
          ),
        ),
      ),
    );
    this.fill();
  }

  close() {
    clearTimeout(this.timer);
  }

  /** Everything on screen from the model (after a structural change or JSON typed). */
  fill({ keepJson = false } = {}) {
    const focused = document.activeElement?.dataset?.key;
    this.name.value = this.model.name;
    this.sport.value = this.model.sport;
    this.description.value = this.model.description;
    this.messages.clear();
    this.blocks.replaceChildren(...this.model.blocks.map((b, i, all) => this.block(b, [i], all.length)));
    if (focused) this.blocks.querySelector(`[data-key="${CSS.escape(focused)}"]`)?.focus();
    if (!keepJson) this.writeJson();
    this.schedule(toWorkout(this.model));
  }

  writeJson() {
    this.json.value = JSON.stringify(toWorkout(this.model), null, 2);
    this.jsonProblem.textContent = "";
  }

  /** A field typed in the form: the model changes in place, no redraw. */
  edited(change) {
    change();
    this.writeJson();
    this.schedule(toWorkout(this.model));
  }

  /** A structural change (a block or target added, moved, removed, a type changed). */
  change(next) {
    this.model = next(this.model);
    this.fill();
  }

  typedJson() {
    let doc;
    try {
      doc = JSON.parse(this.json.value);
    } catch (error) {
      this.jsonProblem.textContent = `Workout JSON: ${error.message}`;
      return;
    }
    this.jsonProblem.textContent = "";
    this.model = fromWorkout(doc);
    this.fill({ keepJson: true });
    this.schedule(doc);
  }

  // --- a block of the form -----------------------------------------------------------------

  block(b, path, siblings) {
    const label = blockLabel(b.kind, path);
    const key = (field) => `${path.join(".")}:${field}`;
    const message = h("ul", { class: "problems", "aria-live": "polite" });
    this.messages.set(jsonPath(path), message);
    const tools = h(
      "div",
      { class: "tools" },
      h("button", { type: "button", class: "icon", "aria-label": `Move ${label} up`, "data-key": key("up"), disabled: path.at(-1) === 0, onclick: () => this.change((m) => moveBlock(m, path, -1)) }, "↑"),
      h("button", { type: "button", class: "icon", "aria-label": `Move ${label} down`, "data-key": key("down"), disabled: path.at(-1) === siblings - 1, onclick: () => this.change((m) => moveBlock(m, path, 1)) }, "↓"),
      h("button", { type: "button", class: "icon danger", "aria-label": `Remove ${label}`, onclick: () => this.change((m) => removeBlock(m, path)) }, "✕"),
    );
    if (b.kind === "repeat") {
      const count = h("input", {
        type: "number",
        min: 1,
        inputmode: "numeric",
        value: b.count,
        "data-key": key("count"),
        oninput: () => this.edited(() => (blockAt(this.model, path).count = count.value)),
      });
      return h(
        "fieldset",
        { class: "block repeat" },
        h("legend", {}, label),
        h("div", { class: "block-head" }, field("Times", count, { className: "field inline" }), tools),
        message,
        h("div", { class: "blocks" }, b.blocks.map((child, i, all) => this.block(child, [...path, i], all.length))),
        h(
          "div",
          { class: "actions start" },
          h("button", { type: "button", class: "small", "aria-label": `Add step to ${label}`, onclick: () => this.change((m) => addBlock(m, path, newStep("interval", 60))) }, "Add step"),
        ),
      );
    }
    const input = (field, attrs, read, write) =>
      h("input", {
        ...attrs,
        value: read,
        "data-key": key(field),
        oninput: (e) => this.edited(() => write(blockAt(this.model, path), e.target.value)),
      });
    const name = input("name", { maxlength: 100, placeholder: b.intensity }, b.name, (s, v) => (s.name = v));
    const intensity = h(
      "select",
      { "data-key": key("intensity"), onchange: (e) => this.edited(() => (blockAt(this.model, path).intensity = e.target.value)) },
      !b.intensity && h("option", { value: "" }, "(none)"),
      INTENSITIES.map((i) => h("option", { value: i, selected: i === b.intensity }, i)),
    );
    const durationType = h(
      "select",
      {
        "data-key": key("duration"),
        onchange: (e) =>
          this.change((m) =>
            updateBlock(m, path, (s) => {
              s.duration = { type: e.target.value, value: DEFAULT_AMOUNT[e.target.value] ?? "" };
            }),
          ),
      },
      !b.duration.type && h("option", { value: "" }, "(none)"),
      Object.keys(DURATIONS).map((d) => h("option", { value: d, selected: d === b.duration.type }, d)),
    );
    const amountLabel = DURATION_LABELS[b.duration.type];
    const hint = b.duration.type === "time" && /^\d+$/.test(b.duration.value) ? `= ${formatClock(Number(b.duration.value))}` : "";
    const hintEl = h("span", { class: "muted hint" }, hint);
    const amount =
      amountLabel &&
      field(
        amountLabel,
        input("amount", { type: "number", min: 0, inputmode: "numeric" }, b.duration.value, (s, v) => {
          s.duration.value = v;
          hintEl.textContent = s.duration.type === "time" && /^\d+$/.test(v) ? `= ${formatClock(Number(v))}` : "";
        }),
        { hint: hintEl },
      );
    const exercise = b.extra.exercise;
    return h(
      "fieldset",
      { class: `block step i-${b.intensity || "active"}` },
      h("legend", {}, label),
      h("div", { class: "block-head" }, h("span", { class: "muted" }, summary(b)), tools),
      h(
        "div",
        { class: "fields" },
        field("Name", name),
        field("Intensity", intensity),
        field("Duration", durationType),
        amount,
      ),
      exercise && h("p", { class: "muted" }, `Exercise: ${exercise.name ?? "?"} (${exercise.type ?? "?"}); edit it in the Workout JSON.`),
      b.targets.map((t, i) => this.target(t, path, i, key)),
      h(
        "div",
        { class: "actions start" },
        b.targets.length < 9 &&
          h("button", { type: "button", class: "small", "aria-label": `Add target to ${label}`, onclick: () => this.change((m) => updateBlock(m, path, (s) => s.targets.push(newTarget()))) }, "Add target"),
      ),
      message,
    );
  }

  target(t, path, i, key) {
    const set = (name) => (e) =>
      this.edited(() => {
        blockAt(this.model, path).targets[i][name] = e.target.value;
      });
    const type = h(
      "select",
      {
        "data-key": key(`t${i}`),
        onchange: (e) => this.change((m) => updateBlock(m, path, (s) => (s.targets[i] = { ...newTarget(e.target.value), type: e.target.value }))),
      },
      !TARGETS[t.type] && h("option", { value: t.type }, t.type || "(none)"),
      Object.keys(TARGETS).map((type) => h("option", { value: type, selected: type === t.type }, TARGET_LABELS[type])),
    );
    return h(
      "div",
      { class: "target", role: "group", "aria-label": `Target ${i + 1}` },
      field("Type", type, { className: "field type-field" }),
      (TARGETS[t.type] ?? []).map((name) =>
        field(
          FIELD_LABELS[name],
          h("input", { type: "number", step: "any", value: t[name], "data-key": key(`t${i}${name}`), oninput: set(name) }),
          { className: "field narrow-field" },
        ),
      ),
      h(
        "button",
        { type: "button", class: "icon danger", "aria-label": `Remove target ${i + 1}`, onclick: () => this.change((m) => updateBlock(m, path, (s) => s.targets.splice(i, 1))) },
        "✕",
      ),
    );
  }

  // --- validation and preview -----------------------------------------------------------------

  schedule(doc) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.check(doc), CHECK_AFTER_MS);
  }

  async check(doc) {
    const asked = ++this.checking;
    let answer;
    try {
      answer = await api.validateWorkout(doc);
    } catch (error) {
      if (asked === this.checking) this.app.fail(error);
      return;
    }
    if (asked !== this.checking) return;
    this.show(answer);
  }

  show(answer) {
    const byBlock = problemsByBlock(answer.problems ?? []);
    for (const [path, list] of this.messages) fillProblems(list, byBlock[path] ?? []);
    const orphans = Object.entries(byBlock)
      .filter(([path]) => path === "" || !this.messages.has(path))
      .flatMap(([path, lines]) => (path ? lines.map((l) => `${path}.${l}`) : lines));
    fillProblems(this.topProblems, orphans);
    if (answer.valid) this.draw(answer);
    else {
      this.chart.classList.add("stale");
      const n = answer.problems.length;
      this.chartNote.textContent = `${n} problem${n === 1 ? "" : "s"} to fix; the preview shows the last valid version.`;
    }
  }

  draw(answer) {
    const { bars, ticks } = intensityProfile(answer.segments, CHART);
    this.chart.classList.remove("stale");
    this.chart.replaceChildren(
      svg("line", { class: "axis", x1: 0, x2: CHART.width, y1: CHART.height, y2: CHART.height }),
      ...bars.map((b) =>
        svg(
          "rect",
          {
            class: `bar i-${b.intensity}${b.estimated ? " estimated" : ""}`,
            x: b.x.toFixed(2),
            y: b.y.toFixed(2),
            width: Math.max(b.width - 0.5, 0.5).toFixed(2),
            height: b.height.toFixed(2),
          },
          svg("title", {}, document.createTextNode(`${b.name} · ${b.intensity}`)),
        ),
      ),
      ...ticks.map((t) =>
        svg("text", { class: "tick", x: Math.min(t.x + 1, CHART.width - 18).toFixed(1), y: CHART.height + 12 }, document.createTextNode(t.label)),
      ),
    );
    const total = answer.total_duration_s;
    const n = answer.segments.length;
    this.chartNote.textContent = `${n} segment${n === 1 ? "" : "s"} · ${total === null ? "open-ended (some steps have no fixed time)" : describeDuration(total)}`;
  }

  async save() {
    const doc = (() => {
      try {
        return JSON.parse(this.json.value);
      } catch {
        return toWorkout(this.model);
      }
    })();
    try {
      const saved = await api.createWorkout(doc);
      this.app.say(`Saved “${saved.name}” to your workouts.`);
    } catch (error) {
      if (error instanceof api.ApiError && Array.isArray(error.body.problems)) {
        this.show({ valid: false, problems: error.body.problems });
        this.app.say("Not saved: fix the problems shown beside the steps.");
      } else this.app.fail(error);
    }
  }
}

/** "warmup · 10:00", "interval · 400 m": a step at a glance, in its head. */
function summary(step) {
  const what = step.name || step.intensity || "step";
  const { type, value } = step.duration;
  const amount =
    type === "time" && /^\d+$/.test(value)
      ? formatClock(Number(value))
      : type === "distance" && value
        ? `${value} m`
        : type === "reps" && value
          ? `${value} reps`
          : type;
  return amount ? `${what} · ${amount}` : what;
}

function fillProblems(list, lines) {
  list.replaceChildren(...lines.map((line) => h("li", {}, line)));
  list.hidden = lines.length === 0;
}
