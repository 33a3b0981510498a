// Bars per day or month: stacked (energy by use) or side by side (location- and market-based
// emissions). Inline SVG drawn like chart.js; the legend is HTML under it so it wraps on a phone.
import { locale } from "./i18n.js";
import { h } from "./dom.js";
import { niceStep, s } from "./chart.js";

// A narrower drawing than the alert chart: at 360 CSS pixels its 11-unit ticks stay readable.
const WIDTH = 400;
const HEIGHT = 200;
const PAD = { top: 26, right: 6, bottom: 22, left: 40 };
// About a dozen labels fit under 320 CSS pixels in either language.
const MAX_LABELS = 12;
// Colour-blind-safe palette (Okabe-Ito, then muted tones); series keep their colour by position.
export const PALETTE = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442",
  "#5eaaa8", "#94a3b8", "#1e3a8a", "#a16207", "#64748b"];

// "2024-06-03" -> "3", "2024-06" -> "6月" / "Jun", anything else as it is.
export function periodLabel(label) {
  const day = /^\d{4}-\d{2}-(\d{2})$/.exec(label);
  if (day) return String(Number(day[1]));
  const month = /^(\d{4})-(\d{2})$/.exec(label);
  if (month) {
    return new Date(Date.UTC(Number(month[1]), Number(month[2]) - 1, 1)).toLocaleDateString(locale(), { timeZone: "UTC", month: "short" });
  }
  return label;
}

// rows: [{label, values: {key: number}}]; series: [{key, name}] in stacking order.
export function periodChart(rows, series, { stacked = true, label = "", unit = "", format = (v) => v.toFixed(1) } = {}) {
  const totals = rows.map((r) => (stacked
    ? series.reduce((sum, one) => sum + (r.values[one.key] || 0), 0)
    : Math.max(0, ...series.map((one) => r.values[one.key] || 0))));
  const max = Math.max(...totals, 0.001);
  const step = niceStep(max, 4);
  const top = Math.ceil(max / step) * step;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(rows.length, 1);
  const y = (v) => PAD.top + plotH - (v / top) * plotH;
  const svg = s("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: "chart periods", role: "img", "aria-label": label });

  for (let v = 0; v <= top + 1e-9; v += step) {
    svg.append(s("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(v), y2: y(v), class: "grid" }));
    svg.append(s("text", { x: PAD.left - 6, y: y(v) + 4, class: "tick", "text-anchor": "end" }, Number(v.toPrecision(6)).toLocaleString(locale())));
  }
  const every = Math.ceil(rows.length / MAX_LABELS);
  rows.forEach((row, i) => {
    const x0 = PAD.left + i * slot;
    const width = stacked ? slot * 0.7 : (slot * 0.8) / series.length;
    let base = 0;
    series.forEach((one, j) => {
      const value = row.values[one.key] || 0;
      if (value <= 0) return;
      const barH = Math.max((value / top) * plotH, 1);
      const x = stacked ? x0 + slot * 0.15 : x0 + slot * 0.1 + j * width;
      const bottom = stacked ? y(base) : y(0);
      const bar = s("rect", { x, y: bottom - barH, width: Math.max(width, 0.5), height: barH, class: `seg ${one.key}`,
        fill: PALETTE[j % PALETTE.length], "data-key": one.key });
      bar.append(s("title", {}, `${row.label} · ${one.name}: ${format(value)} ${unit}`));
      svg.append(bar);
      if (stacked) base += value;
    });
    if (i % every === 0) {
      svg.append(s("text", { x: x0 + slot / 2, y: HEIGHT - 7, class: "tick", "text-anchor": "middle" }, periodLabel(row.label)));
    }
  });
  svg.append(s("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(0), y2: y(0), class: "axis" }));
  svg.append(s("text", { x: 2, y: 11, class: "tick unit" }, unit));
  const legend = h("div", { class: "legend" }, series.map((one, j) => {
    const swatch = h("span", { class: "swatch" });
    swatch.style.background = PALETTE[j % PALETTE.length];
    return h("span", { class: "legend-item" }, swatch, one.name);
  }));
  return h("div", { class: "chart-box period-chart" }, svg, legend);
}
