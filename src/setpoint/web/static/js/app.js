// The shell: routes (`#/`, `#/history`, `#/session/<id>`, `#/summary/<id>`; `#/me[/<monday>]`
// the athlete's devices and week; `#/athlete/<id>[/<monday>]` a coach's view of an athlete's
// week; `#/builder[/<workout id>]`), the services the screens share (server clock, offline
// queue, cues, messages, who is signed in) and the network indicator.

import * as api from "./api.js";
import { ServerClock } from "./clock.js";
import { Cues, ScreenLock } from "./cues.js";
import { OfflineQueue } from "./queue.js";
import { showBuilder } from "./screens/builder.js";
import { showCoachHome } from "./screens/coach.js";
import { showHistory } from "./screens/history.js";
import { showHome } from "./screens/home.js";
import { showPlayer } from "./screens/player.js";
import { showSignIn } from "./screens/signin.js";
import { showSummary } from "./screens/summary.js";
import { showAthleteWeek, showMyWeek } from "./screens/week.js";

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
  me: null, // GET /api/me of the signed-in user, read once per sign-in

  get coaching() {
    return app.me?.role === "coach" || app.me?.role === "admin";
  },

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
      app.me = null;
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
  app.queue.clear(); // what waits was this user's: the next one to sign in must not send it
  api.signOut();
  app.me = null;
  app.navigate("/signin");
});

/** Where the device provider's OAuth callback sends the browser back (`/?device=garmin&
 * connected=1`, or `connected=0&error=…`): say how it went and open the devices page. */
function cameBackFromProvider() {
  const params = new URLSearchParams(location.search);
  const provider = params.get("device");
  if (!provider) return;
  const name = provider.charAt(0).toUpperCase() + provider.slice(1);
  history.replaceState(null, "", "/#/me");
  if (params.get("connected") === "1") app.say(`${name} connected.`);
  else app.say(`${name} was not connected (${params.get("error") ?? "refused"}). Try again.`);
}

function showNav() {
  const signedIn = Boolean(api.token());
  document.getElementById("nav").hidden = !signedIn;
  document.getElementById("nav-me").hidden = !signedIn || app.coaching;
  document.getElementById("nav-history").hidden = !signedIn || app.coaching;
}

async function route() {
  app.leave?.();
  app.leave = null;
  const path = location.hash.replace(/^#/, "") || "/";
  const signedIn = Boolean(api.token());
  if (!signedIn) app.me = null;
  showNav();
  if (!signedIn && path !== "/signin") return app.navigate("/signin");
  const [, screen, id, week] = path.split("/");
  main.classList.toggle("wide", ["me", "athlete", "builder"].includes(screen));
  try {
    if (signedIn && !app.me && screen !== "signin") {
      app.me = await api.me();
      showNav();
    }
    if (screen === "signin") await showSignIn(main, app);
    else if (screen === "session") app.leave = await showPlayer(main, app, id);
    else if (screen === "summary") app.leave = await showSummary(main, app, id);
    else if (screen === "history") await showHistory(main, app);
    else if (screen === "me") app.leave = await showMyWeek(main, app, id);
    else if (screen === "athlete") app.leave = await showAthleteWeek(main, app, id, week);
    else if (screen === "builder") app.leave = await showBuilder(main, app, id);
    else if (app.coaching) await showCoachHome(main, app);
    else await showHome(main, app);
  } catch (error) {
    app.fail(error);
  }
  main.focus({ preventScroll: true });
}

window.addEventListener("hashchange", route);
cameBackFromProvider();
showNetwork();
route();
flush();
