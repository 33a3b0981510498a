// The portfolio carbon page: location- and market-based totals, scopes, sites and months, CSV export.
import { call, url } from "./api.js";
import { t } from "./i18n.js";
import { bars, clear, h, mass, message, periodStart } from "./dom.js";
import { completeness, factorList, scopes } from "./carbon_parts.js";

const state = { period: "thisYear" };
// A portfolio of hundreds of sites: the biggest emitters, then the rest in one row.
const SITES_SHOWN = 15;

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
        (c.periods || []).length ? h("section", { class: "panel" }, h("h3", {}, t("byMonth")),
          ...bars(c.periods.map((p) => [p.label, p.total_kg]), (kg) => mass(kg), { inOrder: true })) : null,
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
