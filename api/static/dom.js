// Tiny DOM helpers: elements are built with textContent only, so data never becomes markup.
import { locale, t } from "./i18n.js";

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

export function when(iso, timeZone = "Asia/Shanghai") {
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
