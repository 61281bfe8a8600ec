// The player: the session as the server says it is, rendered from its anchors. Commands and
// sets go through the offline queue; the live socket brings every change (from this device,
// another one, or the server's own clock) and the heart rate.

import * as api from "../api.js";
import { bluetoothAvailable, connectStrap } from "../ble.js";
import { countdownCue, formatClock, isNewer, timersAt } from "../clock.js";
import { h, mount } from "../dom.js";
import { changed, clearLocal, loadLocal, pickDraft, saveLocal } from "../drafts.js";
import { describeAmount, describeTargets } from "../format.js";
import { LiveSocket } from "../live.js";
import { isNetworkError } from "../queue.js";
import { StrengthLogger } from "./strength.js";

const FRAME_MS = 200;
const DRAFT_SYNC_MS = 30000;
const OVERDUE_REFRESH_S = 2; // no word of the segment change this long after it: ask
const ENDED = new Set(["completed", "abandoned"]);

export async function showPlayer(root, app, sessionId) {
  const { body, sentAt, receivedAt } = await api.hydrate(sessionId);
  const player = new Player(root, app, sessionId);
  player.hydrate(body, sentAt, receivedAt);
  return () => player.close();
}

class Player {
  constructor(root, app, sessionId) {
    this.app = app;
    this.id = sessionId;
    this.state = null;
    this.previousRemaining = null;
    this.refreshing = false;
    this.build(root);
    this.onAnswer = (event) => this.answered(event.detail);
    app.answers.addEventListener("answer", this.onAnswer);
    this.onVisible = () => document.visibilityState === "visible" && this.refresh();
    document.addEventListener("visibilitychange", this.onVisible);
    this.onOnline = () => this.live.reconnect();
    window.addEventListener("online", this.onOnline);
    this.frameTimer = setInterval(() => this.frame(), FRAME_MS);
    this.draftTimer = setInterval(() => this.syncDraft(), DRAFT_SYNC_MS);
    this.live = new LiveSocket(api.liveUrl(sessionId), api.token(), {
      onMessage: (message, at) => this.received(message, at),
      onPong: (serverTime, at, sent) => app.clock.sync(serverTime, at, sent),
      onStatus: (status) => (this.liveStatus.textContent = status === "connected" ? "" : "Reconnecting…"),
    });
    this.live.open();
  }

  build(root) {
    const button = (label, onclick, attrs = {}) =>
      h("button", { type: "button", onclick, ...attrs }, label);
    this.title = h("h1", {});
    this.step = h("p", { class: "muted" });
    this.timer = h("div", { class: "timer", role: "timer", "aria-labelledby": "elapsed-label" });
    this.remaining = h("div", { class: "remaining" });
    this.count = h("div", { class: "count", "aria-live": "assertive" });
    this.current = h("div", { class: "step current" });
    this.next = h("div", { class: "step next" });
    this.bpm = h("span", { class: "bpm" }, "--");
    this.band = h("span", { class: "muted" });
    this.liveStatus = h("p", { class: "muted", role: "status" });
    this.toggle = button("Pause", () => this.toggleRun(), { class: "primary" });
    this.strapStatus = h("span", { class: "muted" });
    this.logger = new StrengthLogger({
      onChange: (entry) => this.typed(entry),
      onLog: (entry) => this.logSet(entry),
    });
    mount(
      root,
      h(
        "section",
        { class: "player", "aria-labelledby": "player-title" },
        h("header", { class: "player-head" }, h("div", {}, this.title, this.step), this.liveStatus),
        h(
          "div",
          { class: "clock" },
          h("p", { id: "elapsed-label", class: "label" }, "Elapsed"),
          this.timer,
          this.remaining,
          this.count,
        ),
        h("div", { class: "steps" }, this.current, this.next),
        h(
          "div",
          { class: "hr", "aria-label": "Heart rate" },
          h("span", { class: "label" }, "Heart rate"),
          this.bpm,
          this.band,
        ),
        this.logger.el,
        h(
          "div",
          { class: "controls" },
          button("Back", () => this.command("back")),
          this.toggle,
          button("Skip", () => this.command("skip")),
          button("Finish", () => this.command("finish"), { class: "finish" }),
        ),
        bluetoothAvailable() &&
          h(
            "p",
            { class: "strap" },
            button("Connect heart-rate strap", () => this.connectStrap()),
            this.strapStatus,
          ),
      ),
    );
    this.title.id = "player-title";
  }

  close() {
    this.closed = true;
    this.live.close();
    clearInterval(this.frameTimer);
    clearInterval(this.draftTimer);
    this.app.answers.removeEventListener("answer", this.onAnswer);
    document.removeEventListener("visibilitychange", this.onVisible);
    window.removeEventListener("online", this.onOnline);
    this.app.screenLock.release();
    this.syncDraft();
  }

  // --- the state ---------------------------------------------------------------------------

  hydrate({ state, draft }, sentAt, receivedAt) {
    this.record = pickDraft(this.id, loadLocal(localStorage, this.id), draft);
    saveLocal(localStorage, this.record);
    this.apply(state, receivedAt, sentAt);
    if (!this.record.synced) this.syncDraft();
  }

  /** Take a state from the server if it is newer than the one shown; re-sync the clock. */
  apply(state, receivedAt, sentAt = null) {
    if (this.closed || !isNewer(state, this.state)) return;
    if (state.replayed) {
      this.refresh(); // an earlier answer, given again: its times are old
      return;
    }
    this.app.clock.sync(state.server_time, receivedAt, sentAt);
    const before = this.state;
    this.state = state;
    if (before && before.segment_index !== state.segment_index) this.app.cues.chime();
    if (ENDED.has(state.status)) {
      clearLocal(localStorage, this.id);
      this.app.navigate(`/summary/${this.id}`);
      return;
    }
    if (state.heart_rate) this.showHeartRate(state.heart_rate);
    this.render();
  }

  async refresh() {
    if (this.refreshing || this.closed) return;
    this.refreshing = true;
    try {
      const { body, sentAt, receivedAt } = await api.sessionState(this.id);
      this.apply(body, receivedAt, sentAt);
    } catch (error) {
      if (!isNetworkError(error)) this.app.fail(error);
    } finally {
      this.refreshing = false;
    }
  }

  received(message, receivedAt) {
    if (message.state) this.apply(message.state, receivedAt);
    if (message.type === "heart_rate") this.showHeartRate(message.heart_rate);
    if (message.type === "error") this.app.say(message.detail);
  }

  answered({ item, answer }) {
    if (item.session_id !== this.id || !answer.body) return;
    const state = item.kind === "set" ? answer.body.state : answer.body;
    this.apply(state, answer.receivedAt, answer.sentAt);
  }

  // --- rendering ---------------------------------------------------------------------------

  render() {
    const s = this.state;
    this.title.textContent = s.workout_name;
    this.step.textContent = `Step ${s.segment_index + 1} of ${s.segment_count}`;
    this.current.replaceChildren(...describeStep("Now", s.segment));
    this.next.replaceChildren(
      ...(s.next_segment ? describeStep("Next", s.next_segment) : [h("span", { class: "label" }, "Last step")]),
    );
    this.toggle.textContent = { in_progress: "Pause", paused: "Resume" }[s.status] ?? "Start";
    this.logger.show(s.segment, this.record.draft?.entry);
    if (s.status === "in_progress") this.app.screenLock.acquire();
    else this.app.screenLock.release();
    this.frame();
  }

  /** Called every FRAME_MS: everything shown is computed from the anchors and the server's
   * clock now, so a late or skipped frame shows the right time. */
  frame() {
    if (!this.state) return;
    const t = timersAt(this.state, this.app.clock.now(Date.now() / 1000));
    this.timer.textContent = formatClock(t.elapsed_s);
    this.remaining.textContent =
      t.segment_remaining_s === null
        ? "Open step: Skip when done"
        : `${formatClock(Math.ceil(t.segment_remaining_s))} left in step`;
    this.logger.tick(t.rest_remaining_s === null ? null : Math.ceil(t.rest_remaining_s));
    const cue = countdownCue(this.previousRemaining, t.segment_remaining_s);
    this.previousRemaining = t.segment_remaining_s;
    if (cue !== null) {
      this.count.textContent = String(cue);
      this.app.cues.count();
      clearTimeout(this.countTimer);
      this.countTimer = setTimeout(() => (this.count.textContent = ""), 900);
    }
    if (t.overdue_s !== null && t.overdue_s > OVERDUE_REFRESH_S) this.refresh();
  }

  showHeartRate(hr) {
    this.bpm.textContent = hr.bpm === null ? "--" : `${Math.round(hr.bpm)}`;
    this.bpm.className = `bpm${hr.zone ? ` zone-${hr.zone}` : ""}`;
    const target = hr.target ? `target ${hr.target.low}–${hr.target.high}` : "";
    const where = hr.in_target === null ? "" : hr.in_target ? "in target" : "out of target";
    const zone = hr.zone ? `zone ${hr.zone}` : "";
    this.band.textContent = [zone, target, where].filter(Boolean).join(" · ");
    this.band.className = hr.in_target === false ? "off-target" : "muted";
  }

  // --- actions -----------------------------------------------------------------------------

  command(name) {
    this.app.cues.unlock();
    this.app.act({ kind: "command", session_id: this.id, command: name });
  }

  toggleRun() {
    const status = this.state?.status;
    this.command(status === "in_progress" ? "pause" : status === "paused" ? "resume" : "start");
  }

  typed(entry) {
    this.record = changed(this.record, { ...this.record.draft, entry }, this.serverNow());
    saveLocal(localStorage, this.record);
  }

  logSet(entry) {
    const set = { position: entry.position, reps: entry.reps };
    if (entry.weight_kg !== null) set.weight_kg = entry.weight_kg;
    if (entry.rpe !== null) set.rpe = entry.rpe;
    this.typed(entry);
    this.app.act({ kind: "set", session_id: this.id, set });
    this.app.say(`Set logged: ${entry.reps} reps${entry.weight_kg ? ` × ${entry.weight_kg} kg` : ""}`);
    this.syncDraft();
  }

  serverNow() {
    return this.app.clock.now(Date.now() / 1000);
  }

  /** Send the draft if it changed since the last sync; on a conflict, the newer one wins. */
  async syncDraft(retry = true) {
    const record = this.record;
    if (!record || record.synced) return;
    try {
      const saved = await api.putDraft(this.id, record.revision, record.draft);
      if (this.record !== record) return; // typed meanwhile: the next sync sends it
      this.record = { ...record, revision: saved.revision, synced: true };
    } catch (error) {
      if (error instanceof api.ApiError && error.code === "stale_revision" && retry) {
        this.record = pickDraft(this.id, this.record, error.body.draft);
        this.logger.position = null; // show the winner's entry
        if (this.state) this.logger.show(this.state.segment, this.record.draft?.entry);
        saveLocal(localStorage, this.record);
        return this.syncDraft(false);
      }
      if (error instanceof api.ApiError && error.code === "session_ended") {
        clearLocal(localStorage, this.id);
        return;
      }
      return; // offline: the next sync tries again
    }
    saveLocal(localStorage, this.record);
  }

  async connectStrap() {
    try {
      await connectStrap(
        (m) => {
          const sample = { t: this.serverNow(), bpm: m.bpm };
          if (m.rr_s.length) sample.rr = m.rr_s;
          this.live.send({ type: "hr", samples: [sample] });
        },
        (status) => (this.strapStatus.textContent = status),
      );
    } catch (error) {
      this.strapStatus.textContent = `No strap connected (${error.message})`;
    }
  }
}

function describeStep(label, segment) {
  const targets = describeTargets(segment.targets);
  return [
    h("span", { class: "label" }, label),
    h("strong", {}, segment.name),
    h("span", {}, [describeAmount(segment), targets].filter(Boolean).join(" · ")),
  ];
}
