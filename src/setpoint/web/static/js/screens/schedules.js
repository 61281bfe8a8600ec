// An athlete's schedules (a workout on a cron expression in a time zone): each with its next
// fires, Pause/Resume and Delete where the caller may change it, and a form whose preview of
// the next fires follows the expression as it is typed. Each fire becomes a planned session
// in the week, so a change here re-reads the week (`onChange`).

import * as api from "../api.js";
import { field, h } from "../dom.js";
import { describeLocal } from "../week.js";

const PREVIEW_AFTER_MS = 300;

export function schedulesCard(app, { athleteId, library, onChange = () => {} }) {
  const list = h("ul", { class: "workouts schedules" });
  const card = h(
    "section",
    { class: "card", "aria-labelledby": "schedules-title" },
    h("h2", { id: "schedules-title" }, "Schedules"),
    list,
  );

  const act = async (work) => {
    try {
      await work();
      onChange();
    } catch (error) {
      app.fail(error);
    }
    await card.refresh();
  };

  card.refresh = async () => {
    let page;
    try {
      page = await api.schedules(athleteId);
    } catch (error) {
      app.fail(error);
      return;
    }
    list.replaceChildren(
      ...(page.items.length === 0 ? [h("li", { class: "muted" }, "No schedules.")] : []),
      ...page.items.map((s) => {
        const name = s.title || s.workout_name || "Workout";
        return h(
          "li",
          { "aria-label": `${name}, ${s.cron}` },
          h(
            "div",
            {},
            h("strong", {}, name),
            h("span", { class: "muted" }, `${s.type === "ENDURANCE" ? "Endurance" : "Strength"} · `, h("code", {}, s.cron), ` · ${s.time_zone}`),
            h(
              "span",
              { class: "muted" },
              s.paused ? "Paused" : s.next_fires.length ? `Next: ${describeLocal(s.next_fires[0].local)}` : "No more fires",
            ),
          ),
          s.editable &&
            h(
              "div",
              { class: "actions" },
              h(
                "button",
                { type: "button", class: "small", onclick: () => act(() => api.changeSchedule(s.id, { paused: !s.paused })) },
                s.paused ? "Resume" : "Pause",
              ),
              h("button", { type: "button", class: "small danger", onclick: () => act(() => api.deleteSchedule(s.id)) }, "Delete schedule"),
            ),
        );
      }),
    );
  };

  card.append(newScheduleForm(app, { athleteId, library, act }));
  return card;
}

function newScheduleForm(app, { athleteId, library, act }) {
  const workout = h("select", { required: true }, library.map((w) => h("option", { value: w.id }, `${w.name} · ${w.sport}`)));
  const type = h("select", {}, h("option", { value: "ENDURANCE" }, "Endurance"), h("option", { value: "STRENGTH" }, "Strength"));
  workout.addEventListener("change", () => {
    type.value = library.find((w) => w.id === workout.value)?.sport === "strength" ? "STRENGTH" : "ENDURANCE";
  });
  const cron = h("input", { value: "30 6 * * TUE,THU", required: true, spellcheck: "false", autocomplete: "off" });
  const zone = h("input", { value: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC", required: true });
  const preview = h("ol", { class: "fires", "aria-live": "polite" });
  const problem = h("p", { class: "json-problem", "aria-live": "polite" });
  let timer = null;
  let asked = 0;

  const showPreview = async () => {
    const mine = ++asked;
    try {
      const answer = await api.schedulePreview(cron.value.trim(), zone.value.trim());
      if (mine !== asked) return;
      problem.textContent = "";
      preview.replaceChildren(...answer.fires.map((f) => h("li", {}, describeLocal(f.local))));
    } catch (error) {
      if (mine !== asked) return;
      preview.replaceChildren();
      problem.textContent = error instanceof api.ApiError ? error.message : "The server cannot be reached.";
    }
  };
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(showPreview, PREVIEW_AFTER_MS);
  };
  cron.addEventListener("input", later);
  zone.addEventListener("input", later);
  showPreview();

  const submit = (event) => {
    event.preventDefault();
    act(async () => {
      await api.createSchedule({
        athlete_id: athleteId,
        workout_id: workout.value,
        type: type.value,
        cron: cron.value.trim(),
        time_zone: zone.value.trim(),
      });
      app.say("Schedule created: its sessions are in the plan.");
    });
  };

  return h(
    "details",
    { class: "new-schedule" },
    h("summary", {}, "New schedule"),
    h(
      "form",
      { onsubmit: submit, "aria-label": "New schedule" },
      h("div", { class: "fields" }, field("Workout", workout), field("Type", type)),
      h("div", { class: "fields" }, field("Cron (minute hour day month weekday)", cron), field("Time zone", zone)),
      problem,
      h("p", { class: "label" }, "Next fires"),
      preview,
      h("button", { type: "submit", class: "primary" }, "Create schedule"),
    ),
  );
}
