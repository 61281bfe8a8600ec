// The summary's heart-rate chart, as geometry (pure): the bpm line, broken where the heart
// rate was unknown, over the target band of each segment as it was actually run.

/** `[{index, from, to}]`: when each segment ran, from the session's event log. */
export function segmentSpans(events, endAt) {
  const spans = [];
  let current = null;
  const close = (at) => {
    if (current) spans.push({ ...current, to: at });
    current = null;
  };
  for (const e of events) {
    const p = e.payload ?? e;
    if (e.type === "SessionStarted") current = { index: 0, from: e.at };
    else if (e.type === "SegmentChanged") {
      close(e.at);
      current = { index: p.to_index, from: e.at };
    } else if (e.type === "SessionCompleted" || e.type === "SessionAbandoned") close(e.at);
  }
  close(endAt);
  return spans;
}

/** Geometry in a `width` × `height` box: `line` (an SVG path), `bands` (rectangles of the
 * target bands), the bpm scale `yTicks` and the time scale's end `duration_s`. */
export function chartModel({ points, bucket_s, spans, bands, width, height }) {
  const t0 = Math.min(...[points[0]?.t, spans[0]?.from].filter((x) => x !== undefined));
  const t1 = Math.max(
    ...[points.at(-1)?.t + bucket_s, spans.at(-1)?.to].filter((x) => Number.isFinite(x)),
  );
  if (!Number.isFinite(t0) || !Number.isFinite(t1)) {
    return { line: "", bands: [], yTicks: [], duration_s: 0 };
  }
  const bandValues = bands.filter(Boolean).flatMap((b) => [b.low, b.high]);
  const values = [...points.map((p) => p.bpm), ...bandValues];
  const low = Math.floor((Math.min(...values, 200) - 10) / 10) * 10;
  const high = Math.ceil((Math.max(...values, 60) + 10) / 10) * 10;
  const span = Math.max(t1 - t0, 1);
  const x = (t) => ((t - t0) / span) * width;
  const y = (bpm) => height - ((bpm - low) / (high - low)) * height;
  let line = "";
  points.forEach((p, i) => {
    const gap = i > 0 && p.t - points[i - 1].t > bucket_s * 1.5;
    line += `${i === 0 || gap ? "M" : "L"}${x(p.t).toFixed(1)},${y(p.bpm).toFixed(1)}`;
  });
  const rects = spans
    .filter((s) => bands[s.index])
    .map((s) => ({
      x: x(s.from),
      width: Math.max(x(s.to) - x(s.from), 0),
      y: y(bands[s.index].high),
      height: y(bands[s.index].low) - y(bands[s.index].high),
    }));
  const yTicks = [];
  for (let bpm = low; bpm <= high; bpm += (high - low) / 4) yTicks.push({ bpm, y: y(bpm) });
  return { line, bands: rects, yTicks, duration_s: t1 - t0 };
}
