// Calendar weeks for the plan pages: Monday to Sunday on ISO dates, across months, years,
// leap days and daylight-saving changes.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  addDays,
  byDay,
  dayName,
  isIsoDate,
  localIsoDate,
  mondayOf,
  nextWeek,
  previousWeek,
  shortDate,
  weekDays,
  weekRange,
  weekdayIndex,
  when,
  zonedIsoDate,
  athleteZone,
} from "../../src/setpoint/web/static/js/week.js";

test("the Monday of any day of its week", () => {
  assert.equal(mondayOf("2027-01-04"), "2027-01-04"); // a Monday
  assert.equal(mondayOf("2027-01-10"), "2027-01-04"); // its Sunday
  assert.equal(mondayOf("2027-01-01"), "2026-12-28"); // across a year
  assert.equal(mondayOf("2024-03-01"), "2024-02-26"); // across a leap day
});

test("a week is seven days from Monday to Sunday", () => {
  assert.deepEqual(weekDays("2026-12-28"), [
    "2026-12-28",
    "2026-12-29",
    "2026-12-30",
    "2026-12-31",
    "2027-01-01",
    "2027-01-02",
    "2027-01-03",
  ]);
  assert.deepEqual(weekDays("2024-02-26").slice(3, 5), ["2024-02-29", "2024-03-01"]);
  assert.equal(dayName("2027-01-04"), "Monday");
  assert.equal(dayName("2027-01-10"), "Sunday");
  assert.equal(weekdayIndex("2027-01-10"), 6);
});

test("previous and next week, from any day, land on Mondays", () => {
  assert.equal(previousWeek("2027-01-04"), "2026-12-28");
  assert.equal(nextWeek("2026-12-28"), "2027-01-04");
  assert.equal(nextWeek("2027-01-07"), "2027-01-11");
  // Europe's spring change is on 2027-03-28: still seven days, whatever the browser's zone.
  assert.equal(nextWeek("2027-03-22"), "2027-03-29");
  assert.equal(addDays("2027-03-27", 2), "2027-03-29");
  assert.equal(addDays("2027-10-31", -1), "2027-10-30");
});

test("only real dates are dates", () => {
  assert.ok(isIsoDate("2024-02-29"));
  for (const bad of ["2023-02-29", "2027-13-01", "2027-1-4", "", "x", undefined]) {
    assert.equal(isIsoDate(bad), false, String(bad));
  }
  assert.throws(() => mondayOf("2027-02-30"), RangeError);
});

test("the local date of a Date, and past, today, future", () => {
  assert.equal(localIsoDate(new Date(2027, 0, 4, 23, 59)), "2027-01-04");
  assert.equal(localIsoDate(new Date(2027, 0, 5, 0, 0)), "2027-01-05");
  assert.equal(when("2027-01-03", "2027-01-04"), "past");
  assert.equal(when("2027-01-04", "2027-01-04"), "today");
  assert.equal(when("2027-01-05", "2027-01-04"), "future");
});

test("labels for days and weeks", () => {
  assert.equal(shortDate("2027-01-04"), "4 Jan");
  assert.equal(weekRange("2027-01-04"), "4–10 Jan 2027");
  assert.equal(weekRange("2027-01-25"), "25–31 Jan 2027");
  assert.equal(weekRange("2027-03-29"), "29 Mar – 4 Apr 2027");
  assert.equal(weekRange("2026-12-28"), "28 Dec 2026 – 3 Jan 2027");
});

test("sessions grouped by the day of the week they fall on; others left out", () => {
  const sessions = [
    { id: "a", date: "2027-01-06" },
    { id: "b", date: "2027-01-04" },
    { id: "c", date: "2027-01-06" },
    { id: "d", date: "2027-01-11" },
  ];
  const days = byDay(sessions, "2027-01-04");
  assert.deepEqual(Object.keys(days), weekDays("2027-01-04"));
  assert.deepEqual(days["2027-01-06"].map((s) => s.id), ["a", "c"]);
  assert.deepEqual(days["2027-01-04"].map((s) => s.id), ["b"]);
  assert.deepEqual(days["2027-01-05"], []);
});

test("a schedule's wall times read in their own zone", async () => {
  const { describeLocal } = await import("../../src/setpoint/web/static/js/week.js");
  assert.equal(describeLocal("2027-03-28T03:00:00+02:00"), "Sunday 28 Mar, 03:00 (+02:00)");
  assert.equal(describeLocal("2027-01-05T06:30:00Z"), "Tuesday 5 Jan, 06:30 (UTC)");
  assert.equal(describeLocal("2027-01-05T06:30:00.5-05:00"), "Tuesday 5 Jan, 06:30 (-05:00)");
  assert.equal(describeLocal("soon"), "soon");
});

test("today is the date in the athlete's zone, not the browser's", () => {
  const at = new Date("2027-01-04T23:30:00Z"); // Monday evening in London
  assert.equal(zonedIsoDate(at, "Europe/London"), "2027-01-04");
  assert.equal(zonedIsoDate(at, "Europe/Paris"), "2027-01-05"); // already Tuesday
  assert.equal(zonedIsoDate(at, "America/Los_Angeles"), "2027-01-04");
  assert.equal(zonedIsoDate(at, "Pacific/Kiritimati"), "2027-01-05"); // UTC+14
  assert.equal(zonedIsoDate(new Date("2027-01-05T09:59:00Z"), "Pacific/Kiritimati"), "2027-01-05");
  assert.equal(zonedIsoDate(new Date("2027-01-05T10:00:00Z"), "Pacific/Kiritimati"), "2027-01-06");
  assert.equal(zonedIsoDate(new Date("2026-12-31T23:00:00Z"), "Asia/Tokyo"), "2027-01-01"); // a new year
  // Across the spring change in Paris (02:00 → 03:00 on 28 Mar 2027): one day, then the next.
  assert.equal(zonedIsoDate(new Date("2027-03-28T21:59:00Z"), "Europe/Paris"), "2027-03-28");
  assert.equal(zonedIsoDate(new Date("2027-03-28T22:00:00Z"), "Europe/Paris"), "2027-03-29");
});

test("no zone or an unknown one: the browser's date", () => {
  const at = new Date(2027, 0, 4, 23, 59); // local time
  assert.equal(zonedIsoDate(at, null), "2027-01-04");
  assert.equal(zonedIsoDate(at, undefined), "2027-01-04");
  assert.equal(zonedIsoDate(at, "Mars/Olympus_Mons"), "2027-01-04");
});

test("the athlete's zone once their profile is saved; the browser's before", () => {
  assert.equal(athleteZone({ time_zone: "Europe/Paris", updated_at: "2027-01-04T10:00:00Z" }), "Europe/Paris");
  assert.equal(athleteZone({ time_zone: "UTC", updated_at: "2027-01-04T10:00:00Z" }), "UTC");
  assert.equal(athleteZone({ time_zone: "UTC", updated_at: null }), null); // the server's default
  assert.equal(athleteZone(null), null);
});
