// Tiny DOM helpers: elements are built with textContent only, so data never becomes markup.
import { locale, t } from "./i18n.js";
import { HOME_TZ } from "./vocabulary.js";

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") el.className = value;
    else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function num(value, digits = 1) {
  return Number(value ?? 0).toLocaleString(locale(), { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

// Emissions read best in tonnes once they pass a tonne.
export function mass(kg) {
  return kg >= 1000 ? `${num(kg / 1000, 2)} t` : `${num(kg, 1)} kg`;
}

export function when(iso, timeZone = HOME_TZ) {
  return new Date(iso).toLocaleString(locale(), {
    timeZone, month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
  });
}

export function chip(kind, value) {
  return h("span", { class: `chip ${kind}-${value}` }, t(value));
}

export function message(text, kind = "info") {
  return h("p", { class: `message ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

export function stat(label, value, extra = "") {
  return h("div", { class: "stat" }, h("b", {}, value), h("span", {}, label), extra ? h("small", {}, extra) : null);
}

// Horizontal bars for a few named values, biggest first.
// Horizontal bars, biggest first unless `inOrder` (a timeline keeps its order). Past `limit`
// rows the rest are summed into one muted row, labelled by `rest(count)`.
export function bars(entries, format, { inOrder = false, limit = Infinity, rest = null } = {}) {
  const positive = entries.filter(([, v]) => v > 0);
  const rows = inOrder ? positive : positive.sort((a, b) => b[1] - a[1]);
  const shown = rows.length > limit ? rows.slice(0, limit) : rows;
  const biggest = Math.max(...shown.map(([, v]) => v), 1e-9);
  const out = shown.map(([label, value]) => {
    const fill = h("span", { class: "fill" });
    fill.style.width = `${(value / biggest) * 100}%`;
    return h("div", { class: "bar-row" }, h("span", { class: "bar-label" }, label),
      h("span", { class: "bar-track" }, fill), h("span", { class: "bar-value" }, format(value)));
  });
  if (shown.length < rows.length) {
    const others = rows.slice(shown.length);
    const sum = others.reduce((acc, [, v]) => acc + v, 0);
    out.push(h("div", { class: "bar-row bar-rest muted" },
      h("span", { class: "bar-label" }, rest ? rest(others.length) : `+${others.length}`),
      h("span", { class: "bar-track" }), h("span", { class: "bar-value" }, format(sum))));
  }
  return out;
}

// Dates are sent without a zone, so the API reads them in the site's local time.
export function periodStart(period) {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  if (period === "thisMonth") return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-01`;
  if (period === "thisYear") return `${now.getFullYear()}-01-01`;
  return undefined;
}
