// A site's carbon ledger: totals, scopes, the factor with its source, and kWh by use.
import { call } from "./api.js";
import { category, t } from "./i18n.js";
import { clear, h, mass, message, num } from "./dom.js";

const state = { site_id: "", period: "thisYear" };

// Dates are sent without a zone, so the API reads them in the site's local time.
function periodStart(period) {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  if (period === "thisMonth") return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-01`;
  if (period === "thisYear") return `${now.getFullYear()}-01-01`;
  return undefined;
}

function factorLine(factor) {
  return h("p", { class: "factor" },
    h("b", {}, `${factor.value} ${factor.unit}`),
    ` · ${factor.region}${factor.year ? ` · ${t("dataYear")} ${factor.year}` : ""}`,
    h("br"), h("span", { class: "muted small" }, `${t("source")}: ${factor.source}`));
}

export function carbonView(root, ctx) {
  const body = h("div", {}, message(t("loading")));
  if (!state.site_id && ctx.sites.length) state.site_id = ctx.sites[0].site_id;

  async function load() {
    if (!state.site_id) return clear(body).append(message(t("notFound")));
    clear(body).append(message(t("loading")));
    try {
      const c = await call(`/sites/${encodeURIComponent(state.site_id)}/carbon`, { params: { start: periodStart(state.period) } });
      const categories = Object.entries(c.kwh_by_category).sort((a, b) => b[1] - a[1]);
      const biggest = Math.max(...categories.map(([, v]) => v), 1);
      clear(body).append(
        h("section", { class: "panel hero" },
          h("span", { class: "muted" }, t("totalEmissions")),
          h("b", { class: "hero-number" }, `${mass(c.total_kg)} CO₂e`)),
        h("div", { class: "summary two" },
          h("div", { class: "stat" }, h("b", {}, mass(c.scope2_location_kg)), h("span", {}, t("scope2"))),
          h("div", { class: "stat" }, h("b", {}, mass(c.scope1_kg)), h("span", {}, t("scope1")))),
        h("div", { class: "summary three" },
          h("div", { class: "stat" }, h("b", {}, `${num(c.kwh, 0)} kWh`), h("span", {}, t("electricity"))),
          h("div", { class: "stat" }, h("b", {}, `${num(c.gas_m3, 1)} m³`), h("span", {}, t("gas"))),
          h("div", { class: "stat" }, h("b", {}, `${num(c.pv_kwh, 0)} kWh`), h("span", {}, t("pv")), h("small", {}, t("pvNote")))),
        h("section", { class: "panel" }, h("h3", {}, t("factor")), factorLine(c.electricity_factor), factorLine(c.gas_factor)),
        h("section", { class: "panel" }, h("h3", {}, t("byCategory")),
          ...categories.map(([name, kwh]) => {
            const fill = h("span", { class: "fill" });
            fill.style.width = `${(kwh / biggest) * 100}%`;
            return h("div", { class: "bar-row" }, h("span", { class: "bar-label" }, category(name)),
              h("span", { class: "bar-track" }, fill), h("span", { class: "bar-value" }, `${num(kwh, 0)} kWh`));
          })));
    } catch (err) {
      ctx.handleError(err, clear(body));
    }
  }

  const siteSelect = h("select", { name: "site", onchange: (e) => { state.site_id = e.target.value; load(); } },
    ctx.sites.map((s) => h("option", { value: s.site_id }, s.name)));
  siteSelect.value = state.site_id;
  const periods = h("div", { class: "segmented", role: "group" },
    ["thisMonth", "thisYear", "sinceStart"].map((p) => h("button", {
      class: p === state.period ? "active" : "",
      onclick: (e) => {
        state.period = p;
        for (const b of periods.children) b.classList.toggle("active", b === e.currentTarget);
        load();
      },
    }, t(p))));

  clear(root).append(
    h("h2", {}, t("carbonTitle")),
    h("div", { class: "filters stacked" }, h("label", {}, h("span", {}, t("site")), siteSelect),
      h("label", {}, h("span", {}, t("period")), periods)),
    body);
  load();
  return () => {};
}
