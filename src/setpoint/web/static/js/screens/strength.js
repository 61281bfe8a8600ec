// The strength logger inside the player: reps, weight and RPE of the set being done, one
// button to log it, and the rest countdown. What is typed is part of the player's draft.

import { formatClock } from "../clock.js";
import { h } from "../dom.js";

export class StrengthLogger {
  constructor({ onChange, onLog }) {
    const field = (id, label, attrs) =>
      h("label", { for: id }, label, h("input", { id, type: "number", inputmode: "decimal", ...attrs }));
    this.title = h("h2", {});
    this.setOf = h("p", { class: "muted" });
    this.rest = h("p", { class: "rest" });
    this.el = h(
      "form",
      { class: "card logger", "aria-label": "Log a set" },
      this.title,
      this.setOf,
      this.rest,
      h(
        "div",
        { class: "fields" },
        field("set-reps", "Reps", { min: 0, max: 1000, step: 1, required: true }),
        field("set-weight", "Weight (kg)", { min: 0, max: 1000, step: 0.5 }),
        field("set-rpe", "RPE", { min: 1, max: 10, step: 0.5 }),
      ),
      h("button", { type: "submit", class: "primary" }, "Log set"),
    );
    [this.reps, this.weight, this.rpe] = this.el.querySelectorAll("input");
    this.el.addEventListener("input", () => onChange(this.entry()));
    this.el.addEventListener("submit", (event) => {
      event.preventDefault();
      if (this.reps.value === "") return this.reps.focus();
      onLog(this.entry());
    });
    this.position = null;
  }

  /** What is typed, for the draft and for logging. */
  entry() {
    const number = (input) => (input.value === "" ? null : Number(input.value));
    return {
      position: this.position,
      reps: number(this.reps),
      weight_kg: number(this.weight),
      rpe: number(this.rpe),
    };
  }

  /** Show the exercise of `segment` (hidden for other segments); the inputs take the draft's
   * entry for this exercise, else the planned reps and weight. */
  show(segment, entry) {
    const ex = segment.exercise;
    this.el.hidden = !ex;
    if (!ex) return;
    this.title.textContent = ex.name;
    const of = ex.sets ? `Set ${ex.set} of ${ex.sets}` : ex.rounds ? `Round ${ex.round} of ${ex.rounds}` : "";
    this.setOf.textContent = ex.kind === "rest" ? `Rest after ${of.toLowerCase()}` : of;
    if (this.position === ex.position) return;
    this.position = ex.position;
    const mine = entry && entry.position === ex.position ? entry : {};
    const fill = (input, value) => (input.value = value ?? "");
    fill(this.reps, mine.reps ?? ex.reps);
    fill(this.weight, mine.weight_kg ?? ex.weight_kg);
    fill(this.rpe, mine.rpe);
  }

  /** The rest countdown, from the player's frame. */
  tick(restRemaining) {
    this.rest.textContent = restRemaining === null ? "" : `Rest ${formatClock(restRemaining)}`;
  }
}
