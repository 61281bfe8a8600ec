// The only module that knows the server's routes and the shape of its errors
// (`{"error": code, "detail": sentence}`). Every call resolves to the JSON answer or rejects
// with an ApiError (the server answered) or a TypeError (the network failed).

const TOKEN_KEY = "setpoint.token";

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.detail ?? `the server answered ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.code = body?.error ?? "http_error";
    this.body = body ?? {};
  }
}

export function token() {
  return localStorage.getItem(TOKEN_KEY);
}

export function signOut() {
  localStorage.removeItem(TOKEN_KEY);
}

/** `{body, sentAt, receivedAt}` (local epoch seconds) for callers that sync the clock. */
export async function timed(method, path, { body, key } = {}) {
  const headers = { Accept: "application/json" };
  const bearer = token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers["Idempotency-Key"] = key;
  const sentAt = Date.now() / 1000;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
  });
  const receivedAt = Date.now() / 1000;
  const text = await response.text();
  const parsed = text ? parseOrNull(text) : null; // a proxy's error page is not JSON
  if (!response.ok) throw new ApiError(response.status, parsed);
  return { body: parsed, sentAt, receivedAt };
}

function parseOrNull(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

async function call(method, path, options) {
  return (await timed(method, path, options)).body;
}

export async function signIn(email, password) {
  const answer = await call("POST", "/api/auth/token", { body: { email, password } });
  localStorage.setItem(TOKEN_KEY, answer.access_token);
  return answer;
}

export const me = () => call("GET", "/api/me");
export const athletes = () => call("GET", "/api/athletes");
/** The signed-in athlete's profile; `time_zone` is theirs once `updated_at` is set. */
export const profile = () => call("GET", "/api/me/profile");
export const workouts = () => call("GET", "/api/workouts?limit=100");
export const workout = (id) => call("GET", `/api/workouts/${id}`);
export const createWorkout = (doc) => call("POST", "/api/workouts", { body: doc });
/** `{valid, segments, total_duration_s}` or `{valid: false, problems}`; nothing is stored. */
export const validateWorkout = (doc) => call("POST", "/api/workouts/validate", { body: doc });
export const generate = (request) => call("POST", "/api/workouts/generate", { body: request });
export const regenerate = (workoutId) => call("POST", `/api/workouts/${workoutId}/regenerate`);

export const activeSession = async () => {
  try {
    return await call("GET", "/api/sessions/active");
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
};
export const sessions = () => call("GET", "/api/sessions?limit=50");
export const createSession = (workoutId) =>
  call("POST", "/api/sessions", { body: { workout_id: workoutId } });
/** A session of a planned session (its workout); the plan then links to it. */
export const createPlannedSession = (plannedId) =>
  call("POST", "/api/sessions", { body: { planned_session_id: plannedId } });
export const sessionState = (id) => timed("GET", `/api/sessions/${id}`);
export const hydrate = (id) => timed("GET", `/api/sessions/${id}/hydrate`);
export const events = (id) => call("GET", `/api/sessions/${id}/events`);
export const summary = (id) => call("GET", `/api/sessions/${id}/summary`);
export const putDraft = (id, revision, draft) =>
  call("PUT", `/api/sessions/${id}/draft`, { body: { revision, draft } });

/** A command (`start`, `pause`, …) with its Idempotency-Key. */
export const command = (id, name, key) => timed("POST", `/api/sessions/${id}/${name}`, { key });

/** A strength set `{position, reps, weight_kg?, rpe?}`; answers `{state, progress}`. */
export const logSet = (id, set, key) => timed("POST", `/api/sessions/${id}/sets`, { body: set, key });

// --- plans and device export ---------------------------------------------------------------

const query = (params) =>
  new URLSearchParams(Object.entries(params).filter(([, v]) => v !== null && v !== undefined));

/** The plan of the week starting `monday` (with its sessions), or null when there is none;
 * `athleteId` null for the caller's own. */
export async function weekPlan(athleteId, monday) {
  const page = await call("GET", `/api/plans?${query({ athlete_id: athleteId, from: monday, to: monday })}`);
  const summary = page.items.find((p) => p.week_start === monday);
  return summary ? call("GET", `/api/plans/${summary.id}`) : null;
}

/** The week's plan, made when missing (a plan made meanwhile elsewhere is reused). */
export async function ensurePlan(athleteId, monday) {
  try {
    return await call("POST", "/api/plans", { body: { athlete_id: athleteId, week_start: monday } });
  } catch (error) {
    if (error instanceof ApiError && error.code === "plan_exists") {
      return call("GET", `/api/plans/${error.body.plan_id}`);
    }
    throw error;
  }
}

export const addPlanned = (planId, planned) =>
  call("POST", `/api/plans/${planId}/sessions`, { body: planned });
export const changePlanned = (id, changes) => call("PATCH", `/api/plan-sessions/${id}`, { body: changes });
export const deletePlanned = (id) => call("DELETE", `/api/plan-sessions/${id}`);
export const plannedExport = (id) => call("GET", `/api/plan-sessions/${id}/export`);
export const retryExport = (id) => call("POST", `/api/plan-sessions/${id}/export/retry`);

/** `{items: [{provider, status, primary, connected_at}], providers: [configured]}`. */
export const devices = (athleteId = null) => call("GET", `/api/devices?${query({ athlete_id: athleteId })}`);
export const connectDevice = (provider) => call("GET", `/api/devices/${provider}/connect`);
export const makePrimary = (provider) => call("PATCH", `/api/devices/${provider}`, { body: { primary: true } });
export const disconnectDevice = (provider) => call("DELETE", `/api/devices/${provider}`);

// --- schedules ---------------------------------------------------------------------------------

export const schedules = (athleteId) => call("GET", `/api/schedules?${query({ athlete_id: athleteId })}`);
export const createSchedule = (schedule) => call("POST", "/api/schedules", { body: schedule });
export const changeSchedule = (id, changes) => call("PATCH", `/api/schedules/${id}`, { body: changes });
export const deleteSchedule = (id) => call("DELETE", `/api/schedules/${id}`);
/** The next `count` fires of a cron expression in a time zone; nothing is stored. */
export const schedulePreview = (cron, timeZone, count = 5) =>
  call("GET", `/api/schedules/preview?${query({ cron, time_zone: timeZone, count })}`);

/** The per-user live channel (notifications for the user and the athletes they coach). */
export function userLiveUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/api/live`;
}

/** The live socket's address; the token goes in the first message, not in the URL. */
export function liveUrl(id) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/api/sessions/${id}/live`;
}
