// A planned session as it reads on the week and on the athlete's home screen: its type, title
// and workout, planned duration, device export (the API's status word, where, when, why, and
// Retry) and, once run or past, what was done and how closely. Also: which sessions are the
// athlete's today, "today" in their profile's zone.

import * as api from "../api.js";
import { h } from "../dom.js";
import { describeDuration } from "../format.js";
import { describeExecution, describeExport, plannedOn } from "../plan.js";
import { athleteZone, mondayOf, when, zonedIsoDate } from "../week.js";

const timeFormat = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
const formatTime = (iso) => timeFormat.format(new Date(iso));

/** Today's date for the signed-in athlete: in their profile's zone, else the browser's. */
export async function athleteToday() {
  return zonedIsoDate(new Date(), athleteZone(await api.profile()));
}

/** `{today, sessions}`: the signed-in athlete's planned sessions of today, in order. */
export async function plannedToday() {
  const today = await athleteToday();
  const plan = await api.weekPlan(null, mondayOf(today));
  return { today, sessions: plannedOn(plan?.sessions ?? [], today) };
}

/** The session's article, named by its title; `retry` (when given) is offered on an export
 * that failed, `buttons` go at its foot. */
export function plannedArticle(s, { today, retry = null, buttons = [] }) {
  const titleId = `planned-${s.id}`;
  const exp = describeExport(s.export, formatTime);
  const done = describeExecution(s.execution, when(s.date, today));
  const actions = buttons.filter(Boolean);
  return h(
    "article",
    { class: `planned ${s.type.toLowerCase()}`, "aria-labelledby": titleId, "data-id": s.id },
    h("p", { class: "kind" }, s.type === "ENDURANCE" ? "Endurance" : "Strength"),
    h("h3", { id: titleId }, s.title || s.workout_name),
    s.title && h("p", { class: "muted" }, s.workout_name),
    s.execution?.planned_duration_s && h("p", { class: "muted" }, describeDuration(s.execution.planned_duration_s)),
    exp &&
      h(
        "div",
        { class: "export", role: "status" },
        h("span", { class: `badge ${exp.tone}` }, exp.status),
        " ",
        h("span", { class: "detail" }, exp.detail),
        exp.retry && retry && h("button", { type: "button", class: "small", "data-focus": "retry", onclick: retry }, "Retry"),
      ),
    done &&
      h(
        "div",
        { class: `done ${done.colour ?? ""}` },
        done.colour &&
          h(
            "p",
            { class: "colour" },
            h("span", { class: `dot ${done.colour}`, "aria-hidden": "true" }),
            `${done.colour[0].toUpperCase()}${done.colour.slice(1)} · ${done.colourText}`,
          ),
        h("p", {}, done.text),
      ),
    actions.length > 0 && h("div", { class: "planned-actions" }, actions),
  );
}
