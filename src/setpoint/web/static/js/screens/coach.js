// A coach's home: their athletes, each opening that athlete's week, and the workout library,
// each opening in the builder.

import * as api from "../api.js";
import { h, mount } from "../dom.js";
import { describeDuration } from "../format.js";

export async function showCoachHome(root, app) {
  const [athletes, library] = await Promise.all([api.athletes(), api.workouts()]);
  const mine = library.items.filter((w) => w.owner_id === app.me.id);
  mount(
    root,
    h(
      "section",
      { class: "card", "aria-labelledby": "athletes-title" },
      h("h1", { id: "athletes-title" }, "Athletes"),
      athletes.length === 0 &&
        h("p", { class: "muted" }, "No athletes yet: an admin links them to you (setpoint users create … --coach)."),
      h(
        "ul",
        { class: "workouts" },
        athletes.map((a) =>
          h(
            "li",
            {},
            h(
              "div",
              {},
              h("a", { href: `#/athlete/${a.id}`, class: "strong" }, a.email),
              h("span", { class: "muted" }, "Week plan, devices and what was done"),
            ),
          ),
        ),
      ),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "library-title" },
      h(
        "div",
        { class: "card-head" },
        h("h2", { id: "library-title" }, "Your workouts"),
        h("a", { href: "#/builder", class: "button primary" }, "New workout"),
      ),
      mine.length === 0 && h("p", { class: "muted" }, "None yet: write one in the builder."),
      h(
        "ul",
        { class: "workouts" },
        mine.map((w) =>
          h(
            "li",
            {},
            h(
              "div",
              {},
              h("strong", {}, w.name),
              h("span", { class: "muted" }, `${w.sport} · ${describeDuration(w.total_duration_s)} · ${w.segment_count} steps`),
            ),
            h("a", { href: `#/builder/${w.id}`, class: "button", "aria-label": `Open ${w.name} in the builder` }, "Open"),
          ),
        ),
      ),
    ),
  );
}
