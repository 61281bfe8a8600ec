// Home: the athlete's active session first, then today's planned sessions (none: no card),
// those not yet run with Start, then the workouts, each with Start; generated treadmill and
// bike workouts can be regenerated, and new ones generated.

import * as api from "../api.js";
import { describeDuration } from "../format.js";
import { h, mount } from "../dom.js";
import { startable } from "../plan.js";
import { plannedArticle, plannedToday } from "./planned.js";
import { startPlanned, startWorkout } from "./start.js";

const GOALS = ["intervals", "endurance", "hills", "tempo", "recovery", "fat_burn"];

export async function showHome(root, app) {
  const [active, page, planned] = await Promise.all([api.activeSession(), api.workouts(), plannedToday()]);

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
    planned.sessions.length > 0 && todayCard(root, app, planned),
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
                { type: "button", class: "primary", "aria-label": "Start", onclick: () => startWorkout(root, app, w) },
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

function todayCard(root, app, { today, sessions }) {
  return h(
    "section",
    { class: "card today", "aria-labelledby": "today-title" },
    h("h2", { id: "today-title" }, "Planned today"),
    h(
      "ul",
      { class: "planned-list" },
      sessions.map((s) =>
        h(
          "li",
          {},
          plannedArticle(s, {
            today,
            buttons: [
              startable(s, today) &&
                h("button", { type: "button", class: "primary", onclick: () => startPlanned(root, app, s) }, "Start"),
            ],
          }),
        ),
      ),
    ),
  );
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
