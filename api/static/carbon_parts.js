// Pieces shared by the site and portfolio carbon views: scopes side by side, factors, completeness.
import { locale, t } from "./i18n.js";
import { bars, h, mass, num, stat } from "./dom.js";
import { HOME_TZ } from "./vocabulary.js";

export function scopes(c) {
  const market = c.scope2_market_kg !== undefined;
  return [
    h("div", { class: "summary two" },
      stat(t("locationBased"), `${mass(c.total_kg)} CO₂e`),
      market ? stat(t("marketBased"), `${mass(c.total_market_kg)} CO₂e`) : null),
    h("section", { class: "panel" }, h("h3", {}, t("byScope")),
      ...bars([[t("scope2"), c.scope2_location_kg], ...(market ? [[t("scope2Market"), c.scope2_market_kg]] : []),
        [t("scope1"), c.scope1_kg]], (kg) => mass(kg))),
    h("div", { class: "summary three" },
      stat(t("electricity"), `${num(c.kwh, 0)} kWh`, c.grid_kwh !== undefined ? `${t("gridElectricity")} ${num(c.grid_kwh, 0)} kWh` : ""),
      stat(t("gas"), `${num(c.gas_m3, 1)} m³`),
      stat(t("pv"), `${num(c.pv_kwh, 0)} kWh`, t("pvNote"))),
  ];
}

// Completeness is over the covered period (from the first readings to now), which is said with it:
// a portfolio that started this month is not "2 % complete" over the year.
export function completeness(c, timeZone = HOME_TZ) {
  if (c.completeness === undefined || c.completeness === null) return null;
  const pct = Math.round(c.completeness * 1000) / 10;
  let over = "";
  if (c.covered_start && c.covered_end) {
    const day = (ms) => new Date(ms).toLocaleDateString(locale(), { timeZone, year: "numeric", month: "short", day: "numeric" });
    // The end is exclusive (now, or the end of the period): show the last day covered.
    over = ` ${t("completenessOver")} ${day(Date.parse(c.covered_start))} – ${day(Date.parse(c.covered_end) - 1000)}`;
  }
  return h("p", { class: `completeness ${pct < 90 ? "low" : ""}` }, `${t("completeness")}: ${pct}%${over}`);
}

export function factorList(c) {
  const seen = new Map();
  // One row per factor actually applied: a portfolio spans provinces, and each has its own grid factor.
  for (const use of c.factors || []) seen.set(`${use.role}|${use.factor.key}|${use.factor.region}|${use.factor.year}`, use.factor);
  if (!seen.size) for (const f of [c.electricity_factor, c.residual_factor, c.gas_factor]) if (f) seen.set(f.key, f);
  return h("section", { class: "panel" }, h("h3", {}, t("factors")),
    ...[...seen.values()].map((f) => h("p", { class: "factor" },
      h("b", {}, `${f.value} ${f.unit}`), ` · ${f.region}${f.year ? ` · ${t("dataYear")} ${f.year}` : ""}`,
      h("br"), h("span", { class: "muted small" }, `${t("source")}: ${f.source}`))));
}
