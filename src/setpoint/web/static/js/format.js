// How the player words targets, steps and durations (pure).

import { formatClock } from "./clock.js";

const range = (t, unit, scale = (x) => x, digits = 0) => {
  const show = (x) => scale(x).toFixed(digits);
  if (t.value !== undefined) return `${show(t.value)} ${unit}`;
  if (t.low === t.high) return `${show(t.low)} ${unit}`;
  return `${show(t.low)}–${show(t.high)} ${unit}`;
};

const pace = (s) => `${formatClock(s).replace(/^0/, "")}`;

/** One target as a person says it: "Zone 2", "150–165 bpm", "10.8 km/h", "4:30–4:50 /km". */
export function describeTarget(t) {
  switch (t.type) {
    case "hr_zone":
      return `Zone ${t.zone}`;
    case "hr_range":
      return range(t, "bpm");
    case "speed":
      return range(t, "km/h", (mps) => mps * 3.6, 1);
    case "pace":
      return t.value !== undefined ? `${pace(t.value)} /km` : `${pace(t.low)}–${pace(t.high)} /km`;
    case "power":
      return range(t, "W");
    case "power_pct_ftp":
      return range(t, "% FTP");
    case "cadence":
      return range(t, "rpm");
    case "incline":
      return range(t, "% incline", (x) => x, 1);
    case "rpe":
      return `RPE ${t.value}`;
    default:
      return t.type;
  }
}

export function describeTargets(targets) {
  return (targets ?? []).map(describeTarget).join(" · ");
}

/** What a step asks for besides its targets: "3:00", "1000 m", "5 reps × 100 kg", "open". */
export function describeAmount(segment) {
  const ex = segment.exercise;
  if (ex && ex.reps) return ex.weight_kg ? `${ex.reps} reps × ${ex.weight_kg} kg` : `${ex.reps} reps`;
  if (segment.duration_s !== null && segment.duration_s !== undefined) {
    return formatClock(segment.duration_s);
  }
  if (segment.distance_m) return `${segment.distance_m} m`;
  if (segment.reps) return `${segment.reps} reps`;
  return "until you press Skip";
}

/** "1 h 05 min", "25 min", "45 s" for totals. */
export function describeDuration(seconds) {
  if (seconds === null || seconds === undefined) return "open";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600);
  const m = Math.round((s % 3600) / 60);
  return h ? `${h} h ${String(m).padStart(2, "0")} min` : `${m} min`;
}
