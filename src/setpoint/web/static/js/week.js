// Calendar weeks (pure): ISO dates ("2027-01-04") in, ISO dates out. Weeks run Monday to
// Sunday, as the server's plans do. Arithmetic is done on UTC dates, so a daylight-saving
// change in the browser's zone can never turn one day into two. "Today" is the date in the
// athlete's zone (their profile's), which may not be the browser's.

const ISO = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86400000;
const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Whether `text` is a real calendar date written YYYY-MM-DD. */
export function isIsoDate(text) {
  const m = ISO.exec(String(text));
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
}

function utc(iso) {
  if (!isIsoDate(iso)) throw new RangeError(`not a date: ${iso}`);
  const [y, m, d] = iso.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}

function iso(date) {
  return date.toISOString().slice(0, 10);
}

/** The local calendar date of a JavaScript Date (today: `localIsoDate(new Date())`). */
export function localIsoDate(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The calendar date in the IANA zone `timeZone` at the instant `at` (a Date); in the
 * browser's zone when `timeZone` is null or not a zone this browser knows. */
export function zonedIsoDate(at, timeZone) {
  let parts;
  try {
    parts = new Intl.DateTimeFormat("en-US", {
      timeZone: timeZone || undefined,
      calendar: "gregory",
      numberingSystem: "latn",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
    }).formatToParts(at);
  } catch (error) {
    if (error instanceof RangeError) return localIsoDate(at);
    throw error;
  }
  const part = (type) => parts.find((p) => p.type === type).value;
  return `${part("year").padStart(4, "0")}-${part("month")}-${part("day")}`;
}

/** The zone an athlete's "today" is reckoned in: their profile's once they saved one
 * (`GET /api/me/profile` answers `updated_at: null` and a default zone before that), else
 * null for the browser's. */
export function athleteZone(profile) {
  return profile?.updated_at ? profile.time_zone || null : null;
}

export function addDays(day, n) {
  return iso(new Date(utc(day).getTime() + n * DAY_MS));
}

/** 0 for Monday … 6 for Sunday. */
export function weekdayIndex(day) {
  return (utc(day).getUTCDay() + 6) % 7;
}

/** The Monday of the week `day` falls in. */
export function mondayOf(day) {
  return addDays(day, -weekdayIndex(day));
}

/** The seven dates of the week that starts on `monday`. */
export function weekDays(monday) {
  return Array.from({ length: 7 }, (_, i) => addDays(monday, i));
}

export const previousWeek = (monday) => addDays(mondayOf(monday), -7);
export const nextWeek = (monday) => addDays(mondayOf(monday), 7);

/** "Monday", "4 Jan" for a day's heading. */
export function dayName(day) {
  return WEEKDAYS[weekdayIndex(day)];
}

export function shortDate(day) {
  const d = utc(day);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
}

/** "4–10 Jan 2027", "28 Dec 2026 – 3 Jan 2027". */
export function weekRange(monday) {
  const a = utc(monday);
  const b = utc(addDays(monday, 6));
  const year = (d) => d.getUTCFullYear();
  if (year(a) !== year(b)) return `${shortDate(monday)} ${year(a)} – ${shortDate(iso(b))} ${year(b)}`;
  if (a.getUTCMonth() !== b.getUTCMonth()) {
    return `${shortDate(monday)} – ${shortDate(iso(b))} ${year(b)}`;
  }
  return `${a.getUTCDate()}–${b.getUTCDate()} ${MONTHS[b.getUTCMonth()]} ${year(b)}`;
}

/** "past", "today" or "future" (ISO dates compare as strings). */
export function when(day, today) {
  if (day < today) return "past";
  return day === today ? "today" : "future";
}

/** The planned sessions of each day of the week, in the order given: `{date: [sessions]}`. */
export function byDay(sessions, monday) {
  const days = Object.fromEntries(weekDays(monday).map((d) => [d, []]));
  for (const s of sessions) if (days[s.date]) days[s.date].push(s);
  return days;
}

/** A wall time as the server writes it ("2027-03-28T03:00:00+02:00") in words, in its own
 * zone whatever the browser's: "Sunday 28 Mar, 03:00 (+02:00)". */
export function describeLocal(local) {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.exec(local);
  if (!m) return local;
  const offset = !m[3] || m[3] === "Z" ? "UTC" : m[3];
  return `${dayName(m[1])} ${shortDate(m[1])}, ${m[2]} (${offset})`;
}
