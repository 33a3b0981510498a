// Sites: the list, and one site with its carbon by scope, consumption by use, open alerts and data findings.
import { call } from "./api.js";
import { category, t } from "./i18n.js";
import { bars, clear, h, mass, message, num, periodStart, when } from "./dom.js";
import { alertCard } from "./inbox.js";
import { completeness, factorList, scopes } from "./carbon_parts.js";
import { periodChart } from "./period_chart.js";

export function sitesView(root, ctx) {
  clear(root).append(h("h2", {}, t("sitesTitle")),
    ...ctx.sites.map((s) => h("a", { class: "card", href: `#/sites/${encodeURIComponent(s.site_id)}` },
      h("div", { class: "card-head" }, h("span", { class: "site-name" }, s.name), h("span", { class: "chip" }, s.city || s.province)),
      h("div", { class: "muted small" }, s.site_id))));
  return () => {};
}

function findingsList(page, tz) {
  if (!page.data.length) return message(t("noFindings"));
  return h("ul", { class: "findings" }, page.data.map((f) => h("li", {},
    h("b", {}, t(f.kind)), ` · ${f.meter_id} · ${when(f.started_at, tz)}`, f.open ? "" : ` – ${when(f.ended_at, tz)}`)));
}

// Energy per day (this month) or per month (this year), stacked by use, biggest use at the bottom.
function energyChart(siteId, ctx) {
  const state = { period: "thisMonth" };
  const box = h("div", {}, message(t("loading")));
  const heading = h("h3", {});

  async function load() {
    heading.textContent = t(state.period === "thisMonth" ? "energyByDay" : "energyByMonth");
    try {
      const c = await call(`/sites/${encodeURIComponent(siteId)}/carbon`, {
        params: { start: periodStart(state.period), granularity: state.period === "thisMonth" ? "day" : "month" },
      });
      const sums = {};
      for (const p of c.periods) for (const [k, v] of Object.entries(p.kwh_by_category)) sums[k] = (sums[k] || 0) + v;
      const series = Object.keys(sums).filter((k) => sums[k] > 0).sort((a, b) => sums[b] - sums[a])
        .map((k) => ({ key: k, name: category(k) }));
      clear(box).append(series.length
        ? periodChart(c.periods.map((p) => ({ label: p.label, values: p.kwh_by_category })), series,
          { label: heading.textContent, unit: "kWh", format: (v) => num(v, 1) })
        : message(t("chartEmpty")));
    } catch (err) {
      ctx.handleError(err, clear(box));
    }
  }

  const periods = h("div", { class: "segmented", role: "group" },
    ["thisMonth", "thisYear"].map((p) => h("button", {
      class: p === state.period ? "active" : "", type: "button", "data-period": p,
      onclick: (e) => {
        state.period = p;
        for (const b of periods.children) b.classList.toggle("active", b === e.currentTarget);
        load();
      },
    }, t(p))));
  load();
  return h("section", { class: "panel energy-chart" }, h("div", { class: "chart-head" }, heading, periods), box);
}

export function siteView(root, ctx, siteId) {
  const site = ctx.sites.find((s) => s.site_id === siteId);
  if (!site) {
    clear(root).append(h("a", { class: "back", href: "#/sites" }, t("backSites")), message(t("notFound"), "error"));
    return () => {};
  }
  const tz = site.timezone;
  const carbonBox = h("div", {}, message(t("loading")));
  const alertsBox = h("div", {}, message(t("loading")));
  const findingsBox = h("div", {}, message(t("loading")));

  async function load() {
    const enc = encodeURIComponent(siteId);
    const [carbon, alerts, findings] = await Promise.allSettled([
      call(`/sites/${enc}/carbon`, { params: { start: periodStart("thisMonth") } }),
      call("/alerts", { params: { site_id: siteId, status: ["open", "acknowledged"], limit: 20 } }),
      call(`/sites/${enc}/findings`, { params: { open: "true", limit: 20 } }),
    ]);
    if (carbon.status === "fulfilled") {
      const c = carbon.value;
      clear(carbonBox).append(h("p", { class: "muted small" }, t("thisMonth")), completeness(c, tz), ...scopes(c),
        h("section", { class: "panel" }, h("h3", {}, t("byCategory")),
          ...bars(Object.entries(c.kwh_by_category).map(([name, kwh]) => [category(name), kwh]), (v) => `${num(v, 0)} kWh`)),
        factorList(c));
    } else ctx.handleError(carbon.reason, carbonBox);
    if (alerts.status === "fulfilled") {
      const page = alerts.value;
      clear(alertsBox).append(...(page.data.length ? page.data.map((a) => alertCard(a, site)) : [message(t("noAlerts"))]));
    } else ctx.handleError(alerts.reason, alertsBox);
    if (findings.status === "fulfilled") clear(findingsBox).append(findingsList(findings.value, tz));
    else ctx.handleError(findings.reason, findingsBox);
  }

  clear(root).append(
    h("a", { class: "back", href: "#/sites" }, t("backSites")),
    h("h2", {}, site.name), h("p", { class: "muted small" }, `${site.city} · ${site.site_id}`),
    h("h3", {}, t("openAlerts")), alertsBox,
    h("h3", {}, t("siteEnergy")), energyChart(siteId, ctx),
    h("h3", {}, t("siteCarbon")), carbonBox,
    h("h3", {}, t("findings")), findingsBox);
  load();
  return () => {};
}
