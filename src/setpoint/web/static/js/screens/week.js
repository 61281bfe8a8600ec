// An athlete's week, Monday to Sunday: one region per day (named by its ISO date), each planned
// session with its type, workout, device export (the API's status word, where, when, why, and
// Retry) and, once run or past, what was done and how closely. A coach (or the athlete, on the
// plans they made) adds, moves, changes and deletes sessions; the athlete starts today's not
// yet run ("today" in their profile's zone). Export changes arrive on the per-user live
// channel; each one re-reads that session's export. Below the week: the athlete's schedules
// and devices.

import * as api from "../api.js";
import { h, mount } from "../dom.js";
import { LiveSocket } from "../live.js";
import { ordered, startable } from "../plan.js";
import { byDay, dayName, isIsoDate, localIsoDate, mondayOf, nextWeek, previousWeek, shortDate, weekDays, weekRange, when } from "../week.js";
import { devicesCard } from "./devices.js";
import { athleteToday, plannedArticle } from "./planned.js";
import { sessionDialog } from "./plansession.js";
import { schedulesCard } from "./schedules.js";
import { startPlanned } from "./start.js";

const PENDING_RECHECK_MS = 10000; // a safety net for a notification lost while reconnecting

/** `#/me[/<monday>]`: the signed-in athlete's devices and week. */
export async function showMyWeek(root, app, week) {
  return showWeek(root, app, { athleteId: app.me.id, own: true, week });
}

/** `#/athlete/<id>[/<monday>]`: a coach's view of one athlete. */
export async function showAthleteWeek(root, app, athleteId, week) {
  return showWeek(root, app, { athleteId, own: false, week });
}

async function showWeek(root, app, { athleteId, own, week }) {
  const today = own ? await athleteToday() : localIsoDate(new Date());
  const monday = mondayOf(isIsoDate(week) ? week : today);
  const base = own ? "/me" : `/athlete/${athleteId}`;
  let athlete = null;
  if (!own) {
    athlete = (await api.athletes()).find((a) => a.id === athleteId);
    if (!athlete) throw new api.ApiError(404, { detail: "You do not coach this athlete." });
  }
  const view = new WeekView(root, app, { athleteId, own, monday, today, base });
  await view.load();
  const devices = devicesCard(app, { athleteId: own ? null : athleteId, editable: own, onChange: () => view.load() });
  const schedules = schedulesCard(app, { athleteId, library: await view.workouts(), onChange: () => view.load() });
  mount(
    root,
    h(
      "section",
      { class: "card week-head", "aria-labelledby": "week-title" },
      h(
        "div",
        {},
        h("h1", { id: "week-title" }, own ? "My week" : athlete.email),
        h("p", { class: "muted" }, `Week of ${weekRange(monday)}`),
      ),
      h(
        "nav",
        { class: "actions", "aria-label": "Weeks" },
        h("a", { class: "button", href: `#${base}/${previousWeek(monday)}` }, "Previous week"),
        monday !== mondayOf(today) && h("a", { class: "button", href: `#${base}/${mondayOf(today)}` }, "This week"),
        h("a", { class: "button", href: `#${base}/${nextWeek(monday)}` }, "Next week"),
      ),
    ),
    view.readOnlyNote,
    view.grid,
    h("div", { class: "week-extras" }, schedules, devices),
  );
  await Promise.all([devices.refresh(), schedules.refresh()]);
  if (own && devices.connected === 0) view.grid.before(devices); // nothing connected: first
  view.listen();
  return () => view.close();
}

class WeekView {
  constructor(root, app, { athleteId, own, monday, today, base }) {
    this.root = root;
    this.app = app;
    this.athleteId = athleteId;
    this.own = own;
    this.monday = monday;
    this.today = today;
    this.base = base;
    this.plan = null;
    this.sessions = new Map(); // planned session id → its document
    this.items = new Map(); // planned session id → its rendered element
    this.grid = h("div", { class: "week" });
    this.readOnlyNote = h("p", { class: "card note", hidden: true }, "Your coach made this week's plan: you can read it, not change it.");
    this.library = null;
    this.notified = new Map(); // planned session id → when its last notification came (ms)
  }

  /** Show a save's answer; a notification about it that overtook the answer is re-read. */
  saved(answer, startedAt) {
    this.update(answer);
    if ((this.notified.get(answer.id) ?? 0) >= startedAt) this.refreshExport(answer.id);
  }

  /** Whether the caller may change this week (no plan yet: making one is allowed). */
  get editable() {
    return this.plan ? this.plan.editable : true;
  }

  async load() {
    this.plan = await api.weekPlan(this.athleteId, this.monday);
    this.sessions = new Map((this.plan?.sessions ?? []).map((s) => [s.id, s]));
    this.render();
  }

  render() {
    this.readOnlyNote.hidden = this.editable;
    const days = byDay(ordered([...this.sessions.values()]), this.monday);
    this.items.clear();
    this.grid.replaceChildren(...weekDays(this.monday).map((day) => this.dayRegion(day, days[day])));
  }

  dayRegion(day, sessions) {
    const timing = when(day, this.today);
    return h(
      "section",
      { class: `day ${timing}`, "aria-label": day },
      h(
        "h2",
        {},
        h("span", { class: "day-name" }, dayName(day)),
        " ",
        h("time", { datetime: day, class: "muted" }, shortDate(day)),
        timing === "today" && h("span", { class: "today-mark" }, "Today"),
      ),
      this.editable &&
        h("button", { type: "button", class: "add", onclick: () => this.add(day) }, h("span", { "aria-hidden": "true" }, "+ "), "Add session"),
      sessions.length === 0 && h("p", { class: "muted empty" }, "Rest day"),
      sessions.length > 0 && h("ul", { class: "planned-list" }, sessions.map((s) => h("li", {}, this.item(s)))),
    );
  }

  item(s) {
    const el = plannedArticle(s, {
      today: this.today,
      retry: () => this.retry(s),
      buttons: [
        this.own &&
          startable(s, this.today) &&
          h("button", { type: "button", class: "small primary", "data-focus": "start", onclick: () => startPlanned(this.root, this.app, s) }, "Start"),
        this.editable &&
          h("button", { type: "button", class: "small", "data-focus": "edit", "aria-label": "Edit", onclick: () => this.edit(s) }, "Edit"),
      ],
    });
    this.items.set(s.id, el);
    return el;
  }

  /** Put a changed session back on screen; it leaves when its date left the week. */
  update(s) {
    const old = this.items.get(s.id);
    const inWeek = weekDays(this.monday).includes(s.date);
    const sameDay = old && this.sessions.get(s.id)?.date === s.date;
    if (inWeek) this.sessions.set(s.id, s);
    else this.sessions.delete(s.id);
    if (old && sameDay && inWeek) {
      const focusKey = old.contains(document.activeElement) ? document.activeElement.dataset.focus : null;
      const fresh = this.item(s);
      old.replaceWith(fresh);
      if (focusKey) fresh.querySelector(`[data-focus="${focusKey}"]`)?.focus();
    } else {
      this.render();
    }
    if (!inWeek) this.app.say(`Moved to ${dayName(s.date)} ${shortDate(s.date)}, in the week of ${weekRange(mondayOf(s.date))}.`);
  }

  async refreshExport(id) {
    const s = this.sessions.get(id);
    if (!s || s.type !== "ENDURANCE") return;
    try {
      const exp = await api.plannedExport(id);
      const now = this.sessions.get(id);
      if (now) this.update({ ...now, export: exp });
    } catch (error) {
      if (error instanceof api.ApiError && error.status === 404) this.load();
    }
  }

  async retry(s) {
    try {
      const exp = await api.retryExport(s.id);
      this.update({ ...this.sessions.get(s.id), export: exp });
    } catch (error) {
      this.app.fail(error);
    }
  }

  async workouts() {
    if (!this.library) {
      const page = await api.workouts();
      const owners = new Set([this.app.me.id, this.athleteId, ...(this.own ? this.app.me.coach_ids : [])]);
      this.library = page.items.filter((w) => owners.has(w.owner_id));
    }
    return this.library;
  }

  async add(day) {
    try {
      const library = await this.workouts();
      sessionDialog(this.app, {
        title: `Add a session on ${dayName(day)} ${shortDate(day)}`,
        session: { date: day, type: "ENDURANCE", workout_id: library[0]?.id ?? "", title: "", notes: "" },
        library,
        save: async (fields) => {
          const startedAt = Date.now();
          const plan =
            this.plan && mondayOf(fields.date) === this.monday
              ? this.plan
              : await api.ensurePlan(this.athleteId, mondayOf(fields.date));
          if (!this.plan && plan.week_start === this.monday) this.plan = plan;
          this.saved(await api.addPlanned(plan.id, fields), startedAt);
        },
      });
    } catch (error) {
      this.app.fail(error);
    }
  }

  async edit(s) {
    try {
      sessionDialog(this.app, {
        title: `Change ${s.title || s.workout_name}`,
        session: s,
        library: await this.workouts(),
        save: async (fields) => {
          const changes = Object.fromEntries(Object.entries(fields).filter(([k, v]) => (s[k] ?? "") !== (v ?? "")));
          if (Object.keys(changes).length === 0) return;
          const startedAt = Date.now();
          this.saved(await api.changePlanned(s.id, changes), startedAt);
        },
        remove: async () => {
          await api.deletePlanned(s.id);
          this.sessions.delete(s.id);
          this.render();
          this.app.say(`${s.title || s.workout_name} deleted.`);
        },
      });
    } catch (error) {
      this.app.fail(error);
    }
  }

  /** The live channel: an export notification re-reads that session's export; anything else
   * about this athlete (a device lost, a scheduled session made) re-reads the week. */
  listen() {
    this.live = new LiveSocket(api.userLiveUrl(), api.token(), {
      onMessage: (message) => {
        if (message.type === "hello") {
          if (this.heard) this.recheck(); // reconnected: catch up on what was missed
          this.heard = true;
          return;
        }
        if (message.type !== "notification") return;
        const n = message.notification;
        if (n.user_id && n.user_id !== this.athleteId) return;
        if (n.planned_session_id) this.notified.set(n.planned_session_id, Date.now());
        if (n.planned_session_id && this.sessions.has(n.planned_session_id)) this.refreshExport(n.planned_session_id);
        else this.load().catch(() => {});
      },
    });
    this.live.open();
    this.timer = setInterval(() => this.recheck(), PENDING_RECHECK_MS);
  }

  recheck() {
    for (const s of this.sessions.values()) if (s.export?.status === "PENDING") this.refreshExport(s.id);
  }

  close() {
    this.live?.close();
    clearInterval(this.timer);
  }
}
