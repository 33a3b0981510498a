// Actual consumption as bars and expected as a line, the alert episode shaded; inline SVG, no libraries.
import { locale } from "./i18n.js";
import { HOME_TZ } from "./vocabulary.js";

const SVG = "http://www.w3.org/2000/svg"; // XML namespace name: an identifier, never fetched
const WIDTH = 640;
const HEIGHT = 240;
const PAD = { top: 22, right: 8, bottom: 28, left: 40 };

export function s(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  if (text !== undefined) el.textContent = text;
  return el;
}

// A round step giving about ``count`` ticks up to ``max``.
export function niceStep(max, count) {
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw);
}

// points: [{at: ISO, actual: number|null, expected: number|null}], evenly spaced.
export function usageChart(points, episode, { timeZone = HOME_TZ, label = "", unit = "kWh", legend = null } = {}) {
  const values = points.flatMap((p) => [p.actual ?? 0, p.expected ?? 0]);
  const max = Math.max(...values, 0.001);
  const step = niceStep(max, 4);
  const top = Math.ceil(max / step) * step;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotW / points.length;
  const x = (i) => PAD.left + i * slot;
  const y = (v) => PAD.top + plotH - (v / top) * plotH;
  const first = Date.parse(points[0].at);
  const spacing = points.length > 1 ? Date.parse(points[1].at) - first : 3600000;
  const index = (iso) => (Date.parse(iso) - first) / spacing;

  const svg = s("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: "chart", role: "img", "aria-label": label });
  const from = Math.max(0, index(episode.start));
  const to = Math.min(points.length, index(episode.end));
  if (to > from) {
    svg.append(s("rect", { x: x(from), y: PAD.top, width: (to - from) * slot, height: plotH, class: "episode" }));
  }
  for (let v = 0; v <= top + 1e-9; v += step) {
    svg.append(s("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(v), y2: y(v), class: "grid" }));
    svg.append(s("text", { x: PAD.left - 6, y: y(v) + 4, class: "tick", "text-anchor": "end" }, Number(v.toFixed(2)).toString()));
  }
  points.forEach((p, i) => {
    if (p.actual === null || p.actual === undefined) return;
    const inside = i >= from && i < to;
    const barH = Math.max((p.actual / top) * plotH, p.actual > 0 ? 1 : 0);
    const bar = s("rect", {
      x: x(i) + slot * 0.1, y: y(0) - barH, width: Math.max(slot * 0.8, 0.5), height: barH, class: inside ? "bar hot" : "bar",
    });
    const expected = p.expected === null || p.expected === undefined ? "" : ` / ${p.expected.toFixed(2)}`;
    bar.append(s("title", {}, `${new Date(p.at).toLocaleString(locale(), { timeZone })}: ${p.actual.toFixed(2)}${expected} ${unit}`));
    svg.append(bar);
  });
  const line = points.map((p, i) => (p.expected === null || p.expected === undefined ? null : `${x(i) + slot / 2},${y(p.expected)}`));
  const runs = [];
  let run = [];
  for (const point of line) {
    if (point === null) { if (run.length) runs.push(run); run = []; } else run.push(point);
  }
  if (run.length) runs.push(run);
  for (const r of runs) svg.append(s("polyline", { points: r.join(" "), class: "expected" }));
  // A label at each local midnight, or every 6 h when the window is short.
  const every = points.length > 72 ? 24 : 6;
  points.forEach((p, i) => {
    const hour = Number(new Date(p.at).toLocaleString("en-GB", { timeZone, hour: "2-digit", hourCycle: "h23" }));
    const minute = new Date(p.at).getUTCMinutes();
    if (hour % every !== 0 || minute !== 0) return;
    const text = hour === 0
      ? new Date(p.at).toLocaleDateString(locale(), { timeZone, month: "numeric", day: "numeric" })
      : `${hour}:00`;
    svg.append(s("line", { x1: x(i), x2: x(i), y1: y(0), y2: y(0) + 4, class: "axis" }));
    svg.append(s("text", { x: x(i), y: HEIGHT - 8, class: "tick", "text-anchor": "middle" }, text));
  });
  svg.append(s("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(0), y2: y(0), class: "axis" }));
  svg.append(s("text", { x: 4, y: 12, class: "tick unit" }, unit));
  if (legend) {
    svg.append(s("rect", { x: WIDTH - 190, y: 4, width: 10, height: 10, class: "bar" }));
    svg.append(s("text", { x: WIDTH - 176, y: 13, class: "tick" }, legend.actual));
    svg.append(s("line", { x1: WIDTH - 100, x2: WIDTH - 84, y1: 9, y2: 9, class: "expected" }));
    svg.append(s("text", { x: WIDTH - 80, y: 13, class: "tick" }, legend.expected));
  }
  return svg;
}
