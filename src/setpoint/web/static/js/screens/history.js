// Past sessions, newest first, each opening its summary.

import * as api from "../api.js";
import { formatClock } from "../clock.js";
import { h, mount } from "../dom.js";

export async function showHistory(root, app) {
  const page = await api.sessions();
  const ended = page.items.filter((s) => s.status === "completed" || s.status === "abandoned");
  mount(
    root,
    h(
      "section",
      { class: "card", "aria-labelledby": "history-title" },
      h("h1", { id: "history-title" }, "History"),
      ended.length === 0 && h("p", { class: "muted" }, "No finished sessions yet."),
      h(
        "ul",
        { class: "workouts" },
        ended.map((s) =>
          h(
            "li",
            {},
            h(
              "div",
              {},
              h("strong", {}, s.workout_name),
              h(
                "span",
                { class: "muted" },
                `${new Date(s.started_at ?? s.ended_at).toLocaleString()} · ${formatClock(s.elapsed_s)} · ${s.status}`,
              ),
            ),
            h("a", { href: `#/summary/${s.id}`, class: "button" }, "Summary"),
          ),
        ),
      ),
    ),
  );

}
