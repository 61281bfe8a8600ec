// How a planned session is shown (pure): its export to the athlete's device and what was done.
// The status words are the API's own (`NOT_CONNECTED`, `PENDING`, `SENT`, `FAILED`); the
// compliance colour is the server's (green within ±20 % of the planned duration, amber
// within ±50 %, red beyond); a past session with nothing done is red. Today's sessions not
// yet run can be started live.

import { describeDuration } from "./format.js";

const PROVIDERS = { garmin: "Garmin", wahoo: "Wahoo" };
const RETRYABLE = new Set(["FAILED", "NOT_CONNECTED"]);
const COLOUR_WORDS = { green: "on plan", amber: "partly", red: "off plan" };

export function providerName(provider) {
  return PROVIDERS[provider] ?? provider ?? "";
}

/** `{status, detail, retry, tone}` of an export block (null for STRENGTH sessions).
 * `formatTime` turns an ISO instant into words ("4 Jan, 14:05"). */
export function describeExport(exp, formatTime = (t) => t) {
  if (!exp) return null;
  const name = providerName(exp.provider);
  let detail;
  switch (exp.status) {
    case "SENT":
      detail = `to ${name}${exp.exported_at ? ` · ${formatTime(exp.exported_at)}` : ""}`;
      break;
    case "PENDING":
      detail = name ? `sending to ${name}` : "sending";
      if (exp.attempts > 0 && exp.last_error) detail += ` · retrying: ${exp.last_error}`;
      break;
    case "FAILED":
      detail = exp.last_error || "the device did not take it";
      break;
    case "NOT_CONNECTED":
      detail = exp.last_error || "no device connected";
      break;
    default:
      detail = "";
  }
  return {
    status: exp.status,
    detail,
    retry: RETRYABLE.has(exp.status),
    tone: { SENT: "ok", PENDING: "wait", FAILED: "bad", NOT_CONNECTED: "bad" }[exp.status] ?? "wait",
  };
}

/** What the athlete did: `{status, text, colour, colourText}` or null when there is nothing
 * to show (a session not yet due and not started). `colour` is green, amber, red or null. */
export function describeExecution(execution, timing) {
  const ex = execution ?? {};
  if (!ex.session_id) {
    if (timing !== "past") return null;
    return { status: "not done", text: "Not done", colour: "red", colourText: COLOUR_WORDS.red };
  }
  const status = ex.status.replace("_", " ");
  const parts = [status[0].toUpperCase() + status.slice(1)];
  if (ex.duration_s !== null && ex.duration_s !== undefined) {
    const planned = ex.planned_duration_s;
    parts.push(
      planned
        ? `${describeDuration(ex.duration_s)} of ${describeDuration(planned)} (${percent(ex.duration_s, planned)})`
        : describeDuration(ex.duration_s),
    );
  }
  const compliance = ex.compliance;
  if (compliance?.time_in_target_s !== null && compliance?.time_in_target_s !== undefined) {
    parts.push(`${describeDuration(compliance.time_in_target_s)} in target`);
  }
  const colour = compliance?.colour ?? null;
  return {
    status: ex.status,
    text: parts.join(" · "),
    colour,
    colourText: colour ? COLOUR_WORDS[colour] : null,
  };
}

/** "93 %": done over planned, rounded. */
export function percent(done, planned) {
  return `${Math.round((100 * done) / planned)} %`;
}

/** Sessions of a plan in a stable order: by date, then by creation. */
export function ordered(sessions) {
  return [...sessions].sort(
    (a, b) => a.date.localeCompare(b.date) || a.created_at.localeCompare(b.created_at),
  );
}

/** The planned sessions of `day`, in a stable order. */
export function plannedOn(sessions, day) {
  return ordered(sessions.filter((s) => s.date === day));
}

/** Whether the athlete may start a planned session live now: it is planned for `today` and
 * no session has run it yet. */
export function startable(planned, today) {
  return planned.date === today && !(planned.execution?.session_id ?? planned.session_id);
}
