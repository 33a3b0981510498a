// Sites: the list, and one site with its carbon by scope, consumption by use, open alerts and data findings.
import { call } from "./api.js";
import { category, t } from "./i18n.js";
import { bars, clear, h, mass, message, num, periodStart, when } from "./dom.js";
import { alertCard } from "./inbox.js";
import { completeness, factorList, scopes } from "./carbon_parts.js";

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
    h("h3", {}, t("siteCarbon")), carbonBox,
    h("h3", {}, t("findings")), findingsBox);
  load();
  return () => {};
}
