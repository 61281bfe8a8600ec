// The dialog that adds or changes a planned session: its date (another day moves it), type,
// workout (from the library, or one generated on the spot), title and notes; and Delete.

import * as api from "../api.js";
import { field, h } from "../dom.js";
import { describeDuration } from "../format.js";

const GOALS = ["intervals", "endurance", "hills", "tempo", "recovery", "fat_burn"];

const workoutOption = (w, selected) =>
  h(
    "option",
    { value: w.id, selected: w.id === selected },
    `${w.name} · ${w.sport} · ${describeDuration(w.total_duration_s)}`,
  );

/** Open the dialog. `save(fields)` and `remove()` may throw: the dialog stays open and says why. */
export function sessionDialog(app, { title, session, library, save, remove = null }) {
  const error = h("p", { class: "error", role: "alert" });
  const date = h("input", { type: "date", name: "date", value: session.date, required: true });
  const type = h(
    "select",
    { name: "type" },
    h("option", { value: "ENDURANCE", selected: session.type === "ENDURANCE" }, "Endurance"),
    h("option", { value: "STRENGTH", selected: session.type === "STRENGTH" }, "Strength"),
  );
  const workout = h(
    "select",
    { name: "workout", required: true },
    library.length === 0 && h("option", { value: "" }, "No workouts yet: generate one below"),
    library.map((w) => workoutOption(w, session.workout_id)),
  );
  const sportOf = (id) => library.find((w) => w.id === id)?.sport;
  workout.addEventListener("change", () => {
    type.value = sportOf(workout.value) === "strength" ? "STRENGTH" : "ENDURANCE";
  });
  const name = h("input", { name: "title", value: session.title ?? "", maxlength: 200 });
  const notes = h("textarea", { name: "notes", rows: 2, maxlength: 5000 }, session.notes ?? "");

  const genSport = h("select", {}, h("option", { value: "treadmill" }, "Treadmill"), h("option", { value: "bike" }, "Bike"));
  const genMinutes = h("input", { type: "number", min: 10, max: 240, value: 45 });
  const genGoal = h("select", {}, GOALS.map((g) => h("option", { value: g }, g.replace("_", " "))));
  const generate = async () => {
    error.textContent = "";
    try {
      const made = await api.generate({
        sport: genSport.value,
        duration_min: Number(genMinutes.value),
        goal: genGoal.value,
      });
      library.unshift(made);
      workout.querySelector('option[value=""]')?.remove();
      workout.prepend(workoutOption(made, made.id));
      workout.value = made.id;
      type.value = "ENDURANCE";
    } catch (e) {
      error.textContent = e instanceof api.ApiError ? e.message : "The server cannot be reached.";
    }
  };

  const busy = (on) => dialog.querySelectorAll("button").forEach((b) => (b.disabled = on));
  const run = async (work) => {
    error.textContent = "";
    busy(true);
    try {
      await work();
      dialog.close();
    } catch (e) {
      if (e instanceof api.ApiError && e.status === 401) return app.fail(e);
      error.textContent = e instanceof api.ApiError ? e.message : "The server cannot be reached. Try again.";
    } finally {
      busy(false);
    }
  };
  const submit = (event) => {
    event.preventDefault();
    run(() =>
      save({
        date: date.value,
        type: type.value,
        workout_id: workout.value,
        title: name.value.trim() || null,
        notes: notes.value.trim() || null,
      }),
    );
  };

  const dialog = h(
    "dialog",
    { class: "session-dialog", "aria-labelledby": "session-dialog-title" },
    h(
      "form",
      { onsubmit: submit },
      h("h2", { id: "session-dialog-title" }, title),
      h("div", { class: "fields two" }, field("Date", date), field("Type", type)),
      field("Workout", workout),
      h(
        "details",
        { class: "generate-inline", open: library.length === 0 },
        h("summary", {}, "Or generate a workout"),
        h(
          "div",
          { class: "fields" },
          field("Sport", genSport),
          field("Minutes", genMinutes),
          field("Goal", genGoal),
        ),
        h("button", { type: "button", onclick: generate }, "Generate"),
      ),
      field("Title (optional)", name),
      field("Notes (optional)", notes),
      error,
      h(
        "div",
        { class: "actions dialog-actions" },
        remove && h("button", { type: "button", class: "danger", onclick: () => run(remove) }, "Delete"),
        h("button", { type: "button", onclick: () => dialog.close() }, "Cancel"),
        h("button", { type: "submit", class: "primary" }, "Save"),
      ),
    ),
  );
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  workout.focus();
  return dialog;
}
