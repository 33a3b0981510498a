// The monthly report (月报) of one site or of the portfolio: a printable page built from the carbon and alerts APIs.
import { call } from "./api.js";
import { category, locale, t } from "./i18n.js";
import { bars, clear, h, mass, message, num, stat } from "./dom.js";
import { completeness, factorList } from "./carbon_parts.js";
// A month is read in the home zone, as the carbon API reads naive dates in the site's zone.
import { HOME_TZ } from "./vocabulary.js";

export const PORTFOLIO = "portfolio";
const PAGE = 500;
// 20 pages of 500 newest-first alerts: far more than a month of any portfolio we run, and a bound on the wait.
const MAX_PAGES = 20;
const TOP = 10;

// "YYYY-MM" of an instant in a time zone ("en-CA" formats dates as ISO).
export function monthOf(instant, timeZone = HOME_TZ) {
  return new Date(instant).toLocaleDateString("en-CA", { timeZone, year: "numeric", month: "2-digit" }).slice(0, 7);
}

function lastDay(ym) {
  const [y, m] = ym.split("-").map(Number);
  return `${ym}-${String(new Date(Date.UTC(y, m, 0)).getUTCDate()).padStart(2, "0")}`;
}

// The current month ends now (the API's default end); a past month includes its last day.
function carbonRange(ym) {
  return ym === monthOf(Date.now()) ? { start: `${ym}-01` } : { start: `${ym}-01`, end: lastDay(ym) };
}

// Alerts that started in the month, newest first, paged until the month is passed.
async function monthAlerts(ym, siteId, timeZone) {
  const found = [];
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const params = { sort: "-started_at", limit: PAGE, offset: page * PAGE, site_id: siteId };
    const batch = await call("/alerts", { params });
    for (const a of batch.data) if (monthOf(a.started_at, timeZone) === ym) found.push(a);
    const last = batch.data[batch.data.length - 1];
    if (!last || batch.data.length < PAGE || monthOf(last.started_at, timeZone) < ym) return { alerts: found, partial: false };
  }
  return { alerts: found, partial: true };
}

// Found, fixed (resolved) and still open: count, kWh, money and CO2 of each.
export function wasteSummary(alerts) {
  const sum = (list) => ({
    n: list.length,
    kwh: list.reduce((acc, a) => acc + a.wasted_kwh, 0),
    cny: list.reduce((acc, a) => acc + a.cost_cny, 0),
    co2: list.reduce((acc, a) => acc + a.co2e_kg, 0),
  });
  const fixed = alerts.filter((a) => a.status === "resolved");
  return { found: sum(alerts), fixed: sum(fixed), open: sum(alerts.filter((a) => a.status !== "resolved")) };
}

function monthLabel(ym) {
  const [y, m] = ym.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, 15)).toLocaleDateString(locale(), { timeZone: "UTC", year: "numeric", month: "long" });
}

function energy(c, sites, names) {
  const out = [h("div", { class: "summary four" },
    stat(t("electricity"), `${num(c.kwh, 0)} kWh`),
    stat(t("gridElectricity"), `${num(c.grid_kwh, 0)} kWh`),
    stat(t("pv"), `${num(c.pv_kwh, 0)} kWh`),
    stat(t("gas"), `${num(c.gas_m3, 1)} m³`))];
  if (sites) {
    out.push(h("h4", {}, t("reportEnergyBySite")),
      ...bars(sites.map((s) => [names[s.site_id] || s.site_id, s.kwh]), (v) => `${num(v, 0)} kWh`,
        { limit: 15, rest: (n) => t("otherSites").replace("{n}", n) }));
  } else if (c.kwh_by_category) {
    out.push(h("h4", {}, t("byCategory")),
      ...bars(Object.entries(c.kwh_by_category).map(([k, v]) => [category(k), v]), (v) => `${num(v, 0)} kWh`));
  }
  return out;
}

function waste(w) {
  const row = (label, s, cls) => h("tr", { class: cls },
    h("th", { scope: "row" }, label), h("td", {}, s.n === 1 ? t("reportAlertsOne") : t("reportAlertsN").replace("{n}", s.n)),
    h("td", {}, `${num(s.kwh, 0)} kWh`), h("td", {}, `¥${num(s.cny, 0)}`), h("td", {}, `${mass(s.co2)} CO₂e`));
  return [h("table", { class: "report-table waste" }, h("tbody", {},
    row(t("reportFound"), w.found, "found"), row(t("reportFixed"), w.fixed, "fixed"), row(t("reportStillOpen"), w.open, "open"))),
  h("p", { class: "muted small" }, t("reportWasteNote"))];
}

function money(w) {
  return h("div", { class: "summary three" },
    stat(t("reportCostFound"), `¥${num(w.found.cny, 0)}`),
    stat(t("reportCostFixed"), `¥${num(w.fixed.cny, 0)}`),
    stat(t("reportCostOpen"), `¥${num(w.open.cny, 0)}`));
}

function emissions(c) {
  const row = (label, kg, cls = "") => h("tr", { class: cls }, h("th", { scope: "row" }, label), h("td", {}, `${mass(kg)} CO₂e`));
  return h("table", { class: "report-table scopes" }, h("tbody", {},
    row(t("scope1"), c.scope1_kg), row(t("scope2"), c.scope2_location_kg), row(t("scope2Market"), c.scope2_market_kg),
    row(t("reportTotalLocation"), c.total_kg, "total"), row(t("reportTotalMarket"), c.total_market_kg, "total")));
}

function topAlerts(alerts, names, timeZone, portfolio) {
  if (!alerts.length) return message(t("reportNoAlerts"));
  const top = [...alerts].sort((a, b) => b.wasted_kwh - a.wasted_kwh).slice(0, TOP);
  const day = (iso) => new Date(iso).toLocaleDateString(locale(), { timeZone, month: "short", day: "numeric" });
  return h("table", { class: "report-table top-alerts" },
    h("thead", {}, h("tr", {}, h("th", {}, t("reportDate")), portfolio ? h("th", {}, t("site")) : null,
      h("th", {}, t("meter")), h("th", {}, t("waste")), h("th", {}, t("cost")), h("th", {}, t("status")))),
    h("tbody", {}, top.map((a) => h("tr", { "data-alert-id": a.id },
      h("td", {}, day(a.started_at)), portfolio ? h("td", {}, names[a.site_id] || a.site_id) : null,
      h("td", {}, h("a", { href: `#/alerts/${a.id}` }, a.meter_name || category(a.category)), h("br"),
        h("span", { class: "muted small" }, a.meter_id)),
      h("td", {}, `${num(a.wasted_kwh, 1)} kWh`), h("td", {}, `¥${num(a.cost_cny, 0)}`),
      h("td", {}, h("span", { class: `chip status-${a.status}` }, t(a.status)))))));
}

function controls(ctx, target, ym) {
  const go = () => { location.hash = `#/report/${encodeURIComponent(which.value)}/${month.value}`; };
  const which = h("select", { id: "report-site", onchange: go },
    h("option", { value: PORTFOLIO }, t("reportPortfolio")),
    ctx.sites.map((s) => h("option", { value: s.site_id }, s.name)));
  which.value = target;
  const month = h("input", { type: "month", id: "report-month", value: ym, max: monthOf(Date.now()), onchange: go });
  return h("div", { class: "filters stacked report-controls" },
    h("label", {}, h("span", {}, t("reportScope")), which),
    h("label", {}, h("span", {}, t("reportMonth")), month),
    h("button", { class: "secondary", type: "button", id: "report-print", onclick: () => window.print() }, t("reportPrint")));
}

function section(title, ...body) {
  return h("section", { class: "panel report-section" }, h("h3", {}, title), ...body);
}

export function reportView(root, ctx, target = PORTFOLIO, ym = monthOf(Date.now())) {
  const portfolio = target === PORTFOLIO;
  const site = portfolio ? null : ctx.sites.find((s) => s.site_id === target);
  const names = Object.fromEntries(ctx.sites.map((s) => [s.site_id, s.name]));
  const tz = site?.timezone || HOME_TZ;
  const title = `${t("reportTitle")} · ${portfolio ? t("reportPortfolio") : site?.name || target} · ${monthLabel(ym)}`;
  const body = h("div", { class: "report-body" }, message(t("loading")));
  clear(root).append(h("article", { class: "report" },
    controls(ctx, target, ym),
    h("header", { class: "report-head" }, h("h2", { id: "report-title" }, title),
      h("p", { class: "muted small" }, `${t("reportGenerated")} ${new Date().toLocaleString(locale(), { timeZone: tz })}`
        + (site ? ` · ${site.city || site.province || ""} · ${site.site_id}` : ""))),
    body));
  // The title names the printed PDF; other views get the app's name back.
  document.title = title;
  let live = true;
  const leave = () => { live = false; document.title = t("appName"); };
  // A site outside the caller's scope is not in ctx.sites; the API would answer 404 anyway.
  if (!portfolio && !site) {
    clear(body).append(message(t("notFound"), "error"));
    return leave;
  }
  if (!/^\d{4}-\d{2}$/.test(ym) || ym > monthOf(Date.now())) {
    clear(body).append(message(t("reportFuture"), "error"));
    return leave;
  }
  (async () => {
    try {
      const path = portfolio ? "/carbon" : `/sites/${encodeURIComponent(target)}/carbon`;
      const [carbon, found] = await Promise.all([
        call(path, { params: carbonRange(ym) }), monthAlerts(ym, portfolio ? undefined : target, tz)]);
      if (!live) return;
      const c = portfolio ? carbon.total : carbon;
      const w = wasteSummary(found.alerts);
      clear(body).append(
        section(t("reportEnergy"), ...energy(c, portfolio ? carbon.sites : null, names), completeness(c, tz)),
        section(t("reportWaste"), ...waste(w),
          found.partial ? message(t("reportPartial").replace("{n}", PAGE * MAX_PAGES), "error") : null),
        section(t("reportMoney"), money(w)),
        section(t("reportEmissions"), emissions(c)),
        section(t("reportTopAlerts"), topAlerts(found.alerts, names, tz, portfolio)),
        factorList(portfolio ? carbon : c));
    } catch (err) {
      if (live) ctx.handleError(err, clear(body));
    }
  })();
  return leave;
}
