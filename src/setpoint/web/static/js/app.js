// The shell: routes (`#/`, `#/history`, `#/session/<id>`, `#/summary/<id>`), the services the
// screens share (server clock, offline queue, cues, messages) and the network indicator.

import * as api from "./api.js";
import { ServerClock } from "./clock.js";
import { Cues, ScreenLock } from "./cues.js";
import { OfflineQueue } from "./queue.js";
import { showHistory } from "./screens/history.js";
import { showHome } from "./screens/home.js";
import { showPlayer } from "./screens/player.js";
import { showSignIn } from "./screens/signin.js";
import { showSummary } from "./screens/summary.js";

const main = document.getElementById("main");
const network = document.getElementById("network");
const toast = document.getElementById("toast");
const FLUSH_EVERY_MS = 10000;

const app = {
  clock: new ServerClock(),
  queue: new OfflineQueue(localStorage),
  cues: new Cues(),
  screenLock: new ScreenLock(),
  answers: new EventTarget(), // "answer" events: a queued action the server answered
  leave: null, // the current screen's clean-up

  navigate(path) {
    if (location.hash === `#${path}`) route();
    else location.hash = path;
  },

  say(message) {
    toast.textContent = message;
    toast.hidden = false;
    clearTimeout(app.toastTimer);
    app.toastTimer = setTimeout(() => (toast.hidden = true), 6000);
  },

  /** Queue an action and try to send it now; the answer comes as an "answer" event. */
  act(action) {
    const item = app.queue.add(action);
    showNetwork();
    flush();
    return item;
  },

  /** Show an error from the server or the network in words. */
  fail(error) {
    if (error instanceof api.ApiError && error.status === 401) {
      api.signOut();
      app.navigate("/signin");
      return;
    }
    app.say(error instanceof api.ApiError ? error.message : "The server cannot be reached.");
  },
};

async function send(item) {
  if (item.kind === "set") return api.logSet(item.session_id, item.set, item.key);
  return api.command(item.session_id, item.command, item.key);
}

async function flush() {
  await app.queue.flush(send, (item, answer) => {
    if (answer.error) {
      const what = item.kind === "set" ? "The set" : `${item.command[0].toUpperCase()}${item.command.slice(1)}`;
      app.say(`${what} was refused: ${answer.error.message}`);
    }
    app.answers.dispatchEvent(new CustomEvent("answer", { detail: { item, answer } }));
  });
  showNetwork();
}

function showNetwork() {
  const waiting = app.queue.size;
  const actions = `${waiting} action${waiting === 1 ? "" : "s"} waiting`;
  if (!navigator.onLine) {
    network.textContent = waiting ? `Offline · ${actions}` : "Offline";
  } else {
    network.textContent = waiting ? `Sending · ${actions}` : "";
  }
  network.hidden = network.textContent === "";
}

window.addEventListener("online", () => {
  showNetwork();
  flush();
});
window.addEventListener("offline", showNetwork);
setInterval(() => app.queue.size && flush(), FLUSH_EVERY_MS);

const mute = document.getElementById("mute");
mute.checked = app.cues.muted;
mute.addEventListener("change", () => (app.cues.muted = mute.checked));
document.getElementById("sign-out").addEventListener("click", () => {
  api.signOut();
  app.navigate("/signin");
});

async function route() {
  app.leave?.();
  app.leave = null;
  const path = location.hash.replace(/^#/, "") || "/";
  const signedIn = Boolean(api.token());
  document.getElementById("nav").hidden = !signedIn;
  if (!signedIn && path !== "/signin") return app.navigate("/signin");
  const [, screen, id] = path.split("/");
  try {
    if (screen === "signin") await showSignIn(main, app);
    else if (screen === "session") app.leave = await showPlayer(main, app, id);
    else if (screen === "summary") app.leave = await showSummary(main, app, id);
    else if (screen === "history") await showHistory(main, app);
    else await showHome(main, app);
  } catch (error) {
    app.fail(error);
  }
  main.focus({ preventScroll: true });
}

window.addEventListener("hashchange", route);
showNetwork();
route();
flush();
