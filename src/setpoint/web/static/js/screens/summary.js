// The summary of a finished session: totals, the heart-rate chart against the target band,
// and the time in each zone.

import * as api from "../api.js";
import { chartModel, segmentSpans } from "../chart.js";
import { formatClock } from "../clock.js";
import { h, mount, svg } from "../dom.js";
import { describeDuration } from "../format.js";

const AXIS_PX = 40; // room for the bpm labels on the left

export async function showSummary(root, app, sessionId) {
  const [summary, events] = await Promise.all([api.summary(sessionId), api.events(sessionId)]);
  const session = summary.session;
  const hr = summary.heart_rate;
  const target = hr.time_in_target;
  const figure = h("figure", { class: "chart-box" });
  const draw = () => figure.replaceChildren(...chart(hr, events, session, figure.clientWidth));
  const stat = (label, value) => h("div", { class: "stat" }, h("dt", {}, label), h("dd", {}, value));
  mount(
    root,
    h(
      "section",
      { class: "card summary", "aria-labelledby": "summary-title" },
      h("h1", { id: "summary-title" }, "Summary"),
      h("p", {}, h("strong", {}, session.workout_name), ` · ${session.status.replace("_", " ")}`),
      h(
        "dl",
        { class: "stats" },
        stat("Moving time", formatClock(session.elapsed_s)),
        stat("Steps", `${Math.min(session.segment_index + 1, session.segment_count)} of ${session.segment_count}`),
        stat("Average HR", hr.totals.avg_bpm === null ? "--" : `${Math.round(hr.totals.avg_bpm)} bpm`),
        stat("Max HR", hr.totals.max_bpm === null ? "--" : `${Math.round(hr.totals.max_bpm)} bpm`),
        stat(
          "In target",
          target.target_s > 0 ? `${Math.round(target.fraction * 100)} %` : "--",
        ),
      ),
      h("h2", {}, "Heart rate"),
      figure,
      h("h2", {}, "Time in zone"),
      zones(hr.time_in_zones),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", onclick: () => app.navigate("/history") }, "History"),
        h("button", { type: "button", class: "primary", onclick: () => app.navigate("/") }, "Home"),
      ),
    ),
  );
  draw(); // at the figure's width, in pixels, so the labels keep their size on any screen
  window.addEventListener("resize", draw);
  return () => window.removeEventListener("resize", draw);
}

function chart(hr, events, session, boxWidth) {
  const width = Math.max(boxWidth - AXIS_PX - 8, 160);
  const height = Math.round(Math.min(Math.max(width * 0.4, 160), 260));
  const endAt = session.ended_at ? Date.parse(session.ended_at) / 1000 : session.server_time;
  const bands = [];
  for (const s of hr.segments) bands[s.index] = s.band;
  const model = chartModel({
    points: hr.series.points,
    bucket_s: hr.series.bucket_s,
    spans: segmentSpans(events, endAt),
    bands,
    width,
    height,
  });
  const graph = svg(
    "svg",
    {
      viewBox: `${-AXIS_PX} -8 ${width + AXIS_PX + 8} ${height + 30}`,
      width: width + AXIS_PX + 8,
      height: height + 30,
      role: "img",
      "aria-label": "Heart rate",
      class: "chart",
    },
    svg("title", {}, document.createTextNode("Heart rate against the target band")),
  );
  for (const b of model.bands) {
    graph.append(svg("rect", { class: "band", x: b.x, y: b.y, width: b.width, height: b.height }));
  }
  for (const tick of model.yTicks) {
    graph.append(svg("line", { class: "grid", x1: 0, x2: width, y1: tick.y, y2: tick.y }));
    const label = svg("text", { x: -6, y: tick.y + 4, class: "tick", "text-anchor": "end" });
    label.textContent = String(Math.round(tick.bpm));
    graph.append(label);
  }
  const end = svg("text", { x: width, y: height + 18, class: "tick", "text-anchor": "end" });
  end.textContent = formatClock(model.duration_s);
  const start = svg("text", { x: 0, y: height + 18, class: "tick" });
  start.textContent = "00:00";
  graph.append(start, end);
  if (model.line) graph.append(svg("path", { class: "line", d: model.line }));
  const legend = h(
    "p",
    { class: "legend muted" },
    h("span", { class: "swatch band" }),
    " target band ",
    h("span", { class: "swatch line" }),
    hr.series.points.length ? " heart rate" : " no heart rate recorded",
  );
  return [graph, legend];
}

function zones(timeInZones) {
  if (!timeInZones) {
    return h("p", { class: "muted" }, "Set your max heart rate in your profile to see zones.");
  }
  const all = timeInZones.zones;
  const total = all.reduce((sum, z) => sum + z.time_s, timeInZones.below_zone_1_s) || 1;
  return h(
    "ul",
    { class: "zones" },
    all.map((z) =>
      h(
        "li",
        {},
        h("span", { class: `zone-name zone-${z.zone}` }, `Zone ${z.zone}`),
        h("span", { class: "muted" }, `${Math.round(z.low_bpm)}–${Math.round(z.high_bpm)}`),
        h("meter", { min: 0, max: 1, value: (z.time_s / total).toFixed(3), "aria-label": `Zone ${z.zone}` }),
        h("span", {}, formatClock(z.time_s)),
      ),
    ),
  );
}
