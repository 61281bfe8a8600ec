// Home: the athlete's active session first, then the workouts, each with Start; generated
// treadmill and bike workouts can be regenerated, and new ones generated.

import * as api from "../api.js";
import { describeDuration } from "../format.js";
import { h, mount } from "../dom.js";
import { clearLocal } from "../drafts.js";
import { newKey } from "../queue.js";
import { conflictDialog } from "./conflict.js";

const GOALS = ["intervals", "endurance", "hills", "tempo", "recovery", "fat_burn"];

export async function showHome(root, app) {
  const [active, page] = await Promise.all([api.activeSession(), api.workouts()]);

  const start = async (workout) => {
    try {
      const session = await api.createSession(workout.id);
      await begin(app, session.id);
    } catch (error) {
      if (error instanceof api.ApiError && error.code === "session_already_active") {
        const active = error.body.active_session;
        conflictDialog(root, active, workout, {
          resume: () => app.navigate(`/session/${active.id}`),
          discard: () => discardAndStart(app, active, workout),
        });
      } else app.fail(error);
    }
  };

  const regenerate = async (workout) => {
    try {
      await api.regenerate(workout.id);
      await showHome(root, app);
    } catch (error) {
      app.fail(error);
    }
  };

  mount(
    root,
    active && activeCard(app, active),
    h(
      "section",
      { class: "card", "aria-labelledby": "workouts-title" },
      h("h1", { id: "workouts-title" }, "Workouts"),
      page.items.length === 0 && h("p", { class: "muted" }, "No workouts yet: generate one below."),
      h(
        "ul",
        { class: "workouts" },
        page.items.map((w) =>
          h(
            "li",
            {},
            h(
              "div",
              {},
              h("strong", {}, w.name),
              h(
                "span",
                { class: "muted" },
                `${w.sport} · ${describeDuration(w.total_duration_s)} · ${w.segment_count} steps`,
              ),
            ),
            h(
              "div",
              { class: "actions" },
              w.seed !== null &&
                h(
                  "button",
                  { type: "button", "aria-label": `Regenerate ${w.name}`, onclick: () => regenerate(w) },
                  "Regenerate",
                ),
              h(
                "button",
                { type: "button", class: "primary", "aria-label": "Start", onclick: () => start(w) },
                "Start",
              ),
            ),
          ),
        ),
      ),
    ),
    generateForm(root, app),
  );
}

/** Start a session just created and open the player on it. */
export async function begin(app, sessionId) {
  app.cues.unlock();
  app.act({ kind: "command", session_id: sessionId, command: "start" });
  app.navigate(`/session/${sessionId}`);
}

async function discardAndStart(app, active, workout) {
  try {
    await api.command(active.id, "abandon", newKey());
    clearLocal(localStorage, active.id);
    const session = await api.createSession(workout.id);
    await begin(app, session.id);
  } catch (error) {
    app.fail(error);
  }
}

function activeCard(app, active) {
  return h(
    "section",
    { class: "card active", "aria-labelledby": "active-title" },
    h("h2", { id: "active-title" }, "In progress"),
    h("p", {}, h("strong", {}, active.workout_name), ` · ${active.status.replace("_", " ")}`),
    h(
      "button",
      { type: "button", class: "primary", onclick: () => app.navigate(`/session/${active.id}`) },
      "Continue",
    ),
  );
}

function generateForm(root, app) {
  const sport = h(
    "select",
    { id: "gen-sport" },
    h("option", { value: "treadmill" }, "Treadmill"),
    h("option", { value: "bike" }, "Bike"),
  );
  const minutes = h("input", { id: "gen-minutes", type: "number", min: 10, max: 240, value: 30 });
  const goal = h(
    "select",
    { id: "gen-goal" },
    GOALS.map((g) => h("option", { value: g }, g.replace("_", " "))),
  );
  const submit = async (event) => {
    event.preventDefault();
    try {
      await api.generate({
        sport: sport.value,
        duration_min: Number(minutes.value),
        goal: goal.value,
      });
      await showHome(root, app);
    } catch (error) {
      app.fail(error);
    }
  };
  return h(
    "form",
    { class: "card generate", onsubmit: submit, "aria-labelledby": "generate-title" },
    h("h2", { id: "generate-title" }, "Generate a workout"),
    h(
      "div",
      { class: "fields" },
      h("label", { for: "gen-sport" }, "Sport", sport),
      h("label", { for: "gen-minutes" }, "Minutes", minutes),
      h("label", { for: "gen-goal" }, "Goal", goal),
    ),
    h("button", { type: "submit" }, "Generate"),
  );
}
