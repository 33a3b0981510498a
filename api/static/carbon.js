// The portfolio carbon page: location- and market-based totals, scopes, sites and months, CSV export.
import { call, url } from "./api.js";
import { t } from "./i18n.js";
import { bars, clear, h, mass, message, num, periodStart } from "./dom.js";
import { completeness, factorList, scopes } from "./carbon_parts.js";
import { periodChart } from "./period_chart.js";

const state = { period: "thisYear" };
// A portfolio of hundreds of sites: the biggest emitters, then the rest in one row.
const SITES_SHOWN = 15;

// Location- and market-based emissions side by side per period, in tonnes once they pass a tonne.
function emissionsChart(periods) {
  const tonnes = periods.some((p) => Math.max(p.total_kg, p.total_market_kg) >= 1000);
  const scale = tonnes ? 1000 : 1;
  const rows = periods.map((p) => ({ label: p.label, values: { location: p.total_kg / scale, market: p.total_market_kg / scale } }));
  if (!rows.some((r) => r.values.location > 0 || r.values.market > 0)) return message(t("chartEmpty"));
  return periodChart(rows, [{ key: "location", name: t("locationBased") }, { key: "market", name: t("marketBased") }],
    { stacked: false, label: t("byMonth"), unit: tonnes ? "t CO₂e" : "kg CO₂e", format: (v) => num(v, tonnes ? 2 : 1) });
}

export function carbonView(root, ctx) {
  const body = h("div", {}, message(t("loading")));
  const names = Object.fromEntries(ctx.sites.map((s) => [s.site_id, s.name]));

  async function load() {
    clear(body).append(message(t("loading")));
    const params = { start: periodStart(state.period), granularity: state.period === "thisMonth" ? "day" : "month" };
    try {
      const c = await call("/carbon", { params });
      clear(body).append(
        h("section", { class: "panel hero" },
          h("span", { class: "muted" }, t("totalEmissions")),
          h("b", { class: "hero-number" }, `${mass(c.total.total_kg)} CO₂e`),
          completeness(c.total)),
        ...scopes(c.total),
        h("section", { class: "panel" }, h("h3", {}, t("bySite")),
          ...bars(c.sites.map((s) => [names[s.site_id] || s.site_id, s.total_kg]), (kg) => mass(kg),
            { limit: SITES_SHOWN, rest: (n) => t("otherSites").replace("{n}", n) })),
        (c.periods || []).length ? h("section", { class: "panel emissions-chart" },
          h("h3", {}, t(params.granularity === "day" ? "byDay" : "byMonth")), emissionsChart(c.periods)) : null,
        factorList(c),
        h("a", { class: "button secondary", href: url("/carbon", { ...params, format: "csv" }), download: "carbon-portfolio.csv" }, t("downloadCsv")));
    } catch (err) {
      ctx.handleError(err, clear(body));
    }
  }

  const periods = h("div", { class: "segmented", role: "group" },
    ["thisMonth", "thisYear"].map((p) => h("button", {
      class: p === state.period ? "active" : "", type: "button",
      onclick: (e) => {
        state.period = p;
        for (const b of periods.children) b.classList.toggle("active", b === e.currentTarget);
        load();
      },
    }, t(p))));

  clear(root).append(h("h2", {}, t("carbonTitle")), h("div", { class: "filters stacked" },
    h("label", {}, h("span", {}, t("period")), periods)), body);
  load();
  return () => {};
}
