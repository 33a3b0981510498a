// The alerts inbox: filters, a summary of the waste, biggest waste first, live over Server-Sent Events.
import { call, url } from "./api.js";
import { category, t } from "./i18n.js";
import { chip, clear, h, mass, message, num, stat, when } from "./dom.js";
import { scoredCategories } from "./vocabulary.js";

const PAGE = 50;
// Stream events can come in bursts (a detection pass touches many alerts): reload once per burst.
const RELOAD_DELAY_MS = 400;
const STATUS_CHOICES = { unresolved: ["open", "acknowledged"], open: ["open"], acknowledged: ["acknowledged"], resolved: ["resolved"], all: [] };
const filters = { site_id: "", status: "unresolved", severity: "", category: "", sort: "-wasted_kwh", limit: PAGE };

function select(name, options, onChange) {
  const el = h("select", { name, onchange: (e) => onChange(e.target.value) },
    options.map(([value, label]) => h("option", { value }, label)));
  el.value = filters[name];
  return el;
}

// The meter as people name it (走廊照明1 · 走廊照明), its id below in small type for the engineer.
export function meterTitle(alert, className) {
  const label = category(alert.category);
  return h("div", { class: `meter-title ${className}` },
    h("span", { class: "meter-name" }, alert.meter_name || label),
    alert.meter_name && alert.meter_name !== label ? h("span", { class: "muted" }, ` · ${label}`) : null,
    h("small", { class: "meter-id muted" }, alert.meter_id));
}

export function alertCard(alert, site) {
  return h("a", { class: `card alert severity-${alert.severity}`, href: `#/alerts/${alert.id}`, "data-alert-id": alert.id },
    h("div", { class: "card-head" },
      chip("severity", alert.severity),
      h("span", { class: "site-name" }, site?.name || alert.site_id),
      chip("status", alert.status)),
    meterTitle(alert, "card-title"),
    h("div", { class: "figures" },
      h("span", { class: "figure big" }, `${num(alert.wasted_kwh)} kWh`),
      h("span", { class: "figure" }, `¥${num(alert.cost_cny, 2)}`),
      h("span", { class: "figure" }, `${mass(alert.co2e_kg)} CO₂e`)),
    h("div", { class: "muted small" }, `${t("started")} ${when(alert.started_at, site?.timezone)}`,
      alert.ongoing ? ` · ${t("ongoing")}` : "", alert.assignee ? ` · ${t("assignee")}: ${alert.assignee}` : ""));
}

export function inboxView(root, ctx) {
  let reloadTimer = null;
  const list = h("div", { class: "list" }, message(t("loading")));
  const summary = h("div", { class: "summary" });
  const stamp = h("p", { class: "muted small stamp" });
  const liveDot = h("span", { class: "live-dot", id: "live" }, t("live"));

  async function load() {
    try {
      const page = await call("/alerts", {
        params: { ...filters, status: STATUS_CHOICES[filters.status], snoozed: filters.status === "resolved" ? undefined : "false" },
      });
      const sites = Object.fromEntries(ctx.sites.map((s) => [s.site_id, s]));
      const sum = (field) => page.data.reduce((total, a) => total + a[field], 0);
      clear(summary).append(
        stat(t("alertsCount"), String(page.total)),
        stat(t("totalWaste"), `${num(sum("wasted_kwh"), 0)} kWh`),
        stat(t("totalCost"), `¥${num(sum("cost_cny"), 0)}`),
        stat(t("totalCo2"), mass(sum("co2e_kg"))));
      clear(list).append(...(page.data.length ? page.data.map((a) => alertCard(a, sites[a.site_id])) : [message(t("noAlerts"))]));
      if (page.total > page.data.length) {
        list.append(h("button", { class: "secondary wide", onclick: () => { filters.limit += PAGE; load(); } }, t("loadMore")));
      }
      stamp.textContent = `${t("updatedAt")} ${new Date().toLocaleTimeString()}`;
    } catch (err) {
      ctx.handleError(err, list);
    }
  }

  const change = (name) => (value) => { filters[name] = value; filters.limit = PAGE; load(); };
  const bar = h("div", { class: "filters" },
    h("label", {}, h("span", {}, t("site")),
      select("site_id", [["", t("allSites")], ...ctx.sites.map((s) => [s.site_id, s.name])], change("site_id"))),
    h("label", {}, h("span", {}, t("status")),
      select("status", Object.keys(STATUS_CHOICES).map((k) => [k, t(k)]), change("status"))),
    h("label", {}, h("span", {}, t("severity")),
      select("severity", [["", t("allSeverities")], ["high", t("high")], ["medium", t("medium")], ["low", t("low")]], change("severity"))),
    h("label", {}, h("span", {}, t("categoryLabel")),
      select("category", [["", t("allCategories")], ...scoredCategories().map((c) => [c, category(c)])], change("category"))),
    h("label", {}, h("span", {}, t("sortLabel")),
      select("sort", [["-wasted_kwh", t("sortWaste")], ["-started_at", t("sortNewest")]], change("sort"))));

  // The stream says what changed; the list is re-read so filters, order and totals stay right.
  const stream = new EventSource(url("/alerts/stream"));
  stream.addEventListener("alert", () => {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(load, RELOAD_DELAY_MS);
  });
  stream.onopen = () => { liveDot.className = "live-dot on"; liveDot.textContent = t("live"); };
  stream.onerror = () => { liveDot.className = "live-dot off"; liveDot.textContent = t("offline"); };

  clear(root).append(bar, summary, h("div", { class: "live-row" }, liveDot, stamp), list);
  load();
  return () => { stream.close(); clearTimeout(reloadTimer); };
}
