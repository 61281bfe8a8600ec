// The intensity profile of a normalized plan (pure geometry for an SVG): one bar per segment,
// as wide as its duration and as tall as its effort. Effort comes from the target most
// segments share (power, heart rate, speed, pace …), scaled between the workout's lowest and
// highest; a segment without that target falls back to its intensity. Segments of unknown
// length (open, distance, reps) get an estimated width and are flagged `estimated`.

const BY_INTENSITY = { rest: 0.15, recovery: 0.3, cooldown: 0.4, warmup: 0.45, active: 0.6, interval: 0.9 };
const METRICS = ["power_pct_ftp", "power", "hr_zone", "hr_range", "speed", "pace", "rpe", "incline"];
const ASSUMED_SPEED_MPS = 3; // for drawing a distance step only
const TICK_MINUTES = [1, 2, 5, 10, 15, 20, 30, 60, 120];

/** A target as one number where higher means harder (null when it has none). */
export function effort(target) {
  const mid =
    target.value ?? target.zone ?? (target.low !== undefined && target.high !== undefined
      ? (target.low + target.high) / 2
      : target.low ?? target.high);
  if (mid === undefined || mid === null || !Number.isFinite(mid)) return null;
  return target.type === "pace" ? (mid > 0 ? 1 / mid : null) : mid;
}

function dominantMetric(segments) {
  const counts = new Map();
  for (const s of segments) {
    for (const type of new Set((s.targets ?? []).map((t) => t.type))) {
      if (METRICS.includes(type)) counts.set(type, (counts.get(type) ?? 0) + 1);
    }
  }
  let best = null;
  for (const type of METRICS) {
    if ((counts.get(type) ?? 0) > (counts.get(best) ?? 0)) best = type;
  }
  return best;
}

/** Each segment's drawn duration in seconds and whether it is an estimate. */
export function drawnDurations(segments, openSeconds = 60) {
  return segments.map((s) => {
    if (s.duration_s !== null && s.duration_s !== undefined) return { seconds: s.duration_s, estimated: false };
    if (s.distance_m) return { seconds: s.distance_m / ASSUMED_SPEED_MPS, estimated: true };
    return { seconds: openSeconds, estimated: true };
  });
}

/** Each segment's effort in 0.1–1. */
export function levels(segments) {
  const metric = dominantMetric(segments);
  const values = segments.map((s) => {
    const target = (s.targets ?? []).find((t) => t.type === metric);
    return target ? effort(target) : null;
  });
  const known = values.filter((v) => v !== null);
  const low = Math.min(...known);
  const high = Math.max(...known);
  return segments.map((s, i) => {
    const v = values[i];
    if (v === null) return BY_INTENSITY[s.intensity] ?? 0.5;
    return high > low ? 0.25 + (0.75 * (v - low)) / (high - low) : 0.7;
  });
}

/** `{bars, ticks, total_s}` in a `width` × `height` box; bars stand on the bottom edge. */
export function intensityProfile(segments, { width, height, openSeconds = 60 }) {
  const spans = drawnDurations(segments, openSeconds);
  const total = spans.reduce((sum, s) => sum + s.seconds, 0);
  if (!segments.length || total <= 0) return { bars: [], ticks: [], total_s: 0 };
  const scale = width / total;
  const heights = levels(segments);
  let at = 0;
  const bars = segments.map((s, i) => {
    const bar = {
      index: i,
      name: s.name,
      intensity: s.intensity,
      estimated: spans[i].estimated,
      x: at * scale,
      width: spans[i].seconds * scale,
      height: heights[i] * height,
      y: height - heights[i] * height,
    };
    at += spans[i].seconds;
    return bar;
  });
  const step = TICK_MINUTES.find((m) => total / (m * 60) <= 6) ?? Math.ceil(total / 360);
  const ticks = [];
  for (let m = 0; m * 60 <= total; m += step) ticks.push({ x: m * 60 * scale, label: `${m}′` });
  return { bars, ticks, total_s: total };
}
