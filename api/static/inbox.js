// The alerts inbox: filters, a summary of the waste, biggest waste first, refreshed every 10 s.
import { call } from "./api.js";
import { category, t } from "./i18n.js";
import { chip, clear, h, mass, message, num, when } from "./dom.js";

const REFRESH_MS = 10000;
const PAGE = 50;
const STATUS_CHOICES = { unresolved: ["open", "acknowledged"], open: ["open"], acknowledged: ["acknowledged"], resolved: ["resolved"], all: [] };
const filters = { site_id: "", status: "unresolved", severity: "", limit: PAGE };

function select(name, options, onChange) {
  const el = h("select", { name, onchange: (e) => onChange(e.target.value) },
    options.map(([value, label]) => h("option", { value }, label)));
  el.value = filters[name];
  return el;
}

function card(alert, site) {
  return h("a", { class: `card alert severity-${alert.severity}`, href: `#/alerts/${alert.id}` },
    h("div", { class: "card-head" },
      chip("severity", alert.severity),
      h("span", { class: "site-name" }, site?.name || alert.site_id),
      chip("status", alert.status)),
    h("div", { class: "card-title" }, category(alert.category), h("span", { class: "muted" }, ` · ${alert.meter_id}`)),
    h("div", { class: "figures" },
      h("span", { class: "figure big" }, `${num(alert.wasted_kwh)} kWh`),
      h("span", { class: "figure" }, `¥${num(alert.cost_cny, 2)}`),
      h("span", { class: "figure" }, `${mass(alert.co2e_kg)} CO₂e`)),
    h("div", { class: "muted small" }, `${t("started")} ${when(alert.started_at, site?.timezone)}`,
      alert.ongoing ? ` · ${t("ongoing")}` : ""));
}

export function inboxView(root, ctx) {
  let timer = null;
  const list = h("div", { class: "list" }, message(t("loading")));
  const summary = h("div", { class: "summary" });
  const stamp = h("p", { class: "muted small stamp" });

  async function load() {
    try {
      const page = await call("/alerts", {
        params: { ...filters, status: STATUS_CHOICES[filters.status], sort: "-wasted_kwh" },
      });
      const sites = Object.fromEntries(ctx.sites.map((s) => [s.site_id, s]));
      const waste = page.data.reduce((sum, a) => sum + a.wasted_kwh, 0);
      const cost = page.data.reduce((sum, a) => sum + a.cost_cny, 0);
      const co2 = page.data.reduce((sum, a) => sum + a.co2e_kg, 0);
      clear(summary).append(
        h("div", { class: "stat" }, h("b", {}, String(page.total)), h("span", {}, t("alertsCount"))),
        h("div", { class: "stat" }, h("b", {}, `${num(waste, 0)} kWh`), h("span", {}, t("totalWaste"))),
        h("div", { class: "stat" }, h("b", {}, `¥${num(cost, 0)}`), h("span", {}, t("totalCost"))),
        h("div", { class: "stat" }, h("b", {}, mass(co2)), h("span", {}, t("totalCo2"))));
      clear(list).append(...(page.data.length ? page.data.map((a) => card(a, sites[a.site_id])) : [message(t("noAlerts"))]));
      if (page.total > page.data.length) {
        list.append(h("button", { class: "secondary wide", onclick: () => { filters.limit += PAGE; load(); } }, t("loadMore")));
      }
      stamp.textContent = `${t("updatedAt")} ${new Date().toLocaleTimeString()} · ${t("autoRefresh")}`;
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
      select("severity", [["", t("allSeverities")], ["high", t("high")], ["medium", t("medium")], ["low", t("low")]], change("severity"))));

  clear(root).append(bar, summary, list, stamp);
  load();
  // Refresh only while the tab is visible: a phone in a pocket should not poll.
  timer = setInterval(() => { if (!document.hidden) load(); }, REFRESH_MS);
  return () => clearInterval(timer);
}
