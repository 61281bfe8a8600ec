// Starting a session live, of a workout (home) or of a planned session (home, My week):
// create it, start it and open the player. When another session is active, maybe on another
// device, ask first: resume that one, or discard it and start this one.

import * as api from "../api.js";
import { clearLocal } from "../drafts.js";
import { newKey } from "../queue.js";
import { conflictDialog } from "./conflict.js";

export const startWorkout = (root, app, workout) =>
  startSession(root, app, { name: workout.name, create: () => api.createSession(workout.id) });

/** The planned session's workout, for its athlete; the plan then shows it as run. */
export const startPlanned = (root, app, planned) =>
  startSession(root, app, {
    name: planned.title || planned.workout_name,
    create: () => api.createPlannedSession(planned.id),
  });

/** `create` makes the session and answers it; `name` says what it is in the conflict dialog
 * (which is put in `root`). */
async function startSession(root, app, { name, create }) {
  try {
    begin(app, (await create()).id);
  } catch (error) {
    if (error instanceof api.ApiError && error.code === "session_already_active") {
      const active = error.body.active_session;
      conflictDialog(root, active, name, {
        resume: () => app.navigate(`/session/${active.id}`),
        discard: () => discardAndStart(app, active, create),
      });
    } else app.fail(error);
  }
}

/** Start a session just created and open the player on it. */
function begin(app, sessionId) {
  app.cues.unlock();
  app.act({ kind: "command", session_id: sessionId, command: "start" });
  app.navigate(`/session/${sessionId}`);
}

async function discardAndStart(app, active, create) {
  try {
    await api.command(active.id, "abandon", newKey());
    clearLocal(localStorage, active.id);
    begin(app, (await create()).id);
  } catch (error) {
    app.fail(error);
  }
}
