// One alert: the waste, the explanation, a chart around the episode, and the actions.
import { ApiError, call } from "./api.js";
import { category, currentLang, t } from "./i18n.js";
import { chip, clear, h, mass, message, num, when } from "./dom.js";
import { hourlyChart } from "./chart.js";

const HOUR_MS = 3600000;
// Context shown either side of the episode, and the longest window the API serves.
const MARGIN_MS = 24 * HOUR_MS;
const MAX_WINDOW_MS = 90 * 24 * HOUR_MS;

function chartWindow(alert) {
  const start = Date.parse(alert.started_at) - MARGIN_MS;
  const end = Math.min(Date.parse(alert.ended_at) + MARGIN_MS, Date.now() + HOUR_MS);
  return { start: new Date(Math.max(start, end - MAX_WINDOW_MS)).toISOString(), end: new Date(end).toISOString() };
}

function figure(label, value, extra = "") {
  return h("div", { class: "stat" }, h("b", {}, value), h("span", {}, label), extra ? h("small", {}, extra) : null);
}

export function alertView(root, ctx, id) {
  const feedback = h("div", { class: "feedback" });

  async function act(action) {
    clear(feedback);
    try {
      await call(`/alerts/${id}/${action}`, { method: "POST" });
      feedback.append(message(t("done"), "ok"));
      load();
    } catch (err) {
      const text = { 403: t("forbidden"), 409: t("conflict"), 404: t("notFound") }[err.status];
      if (text && err instanceof ApiError) feedback.append(message(text, "error"));
      else ctx.handleError(err, feedback);
    }
  }

  async function load() {
    let alert;
    try {
      alert = await call(`/alerts/${id}`);
    } catch (err) {
      if (err.status === 404) return clear(root).append(backLink(), message(t("notFound"), "error"));
      return ctx.handleError(err, root);
    }
    const site = ctx.sites.find((s) => s.site_id === alert.site_id);
    const tz = site?.timezone || "Asia/Shanghai";
    const ex = alert.explanation;
    const text = ex ? (currentLang() === "zh" ? ex.text_zh || ex.text_en : ex.text_en || ex.text_zh) : null;
    const chartBox = h("div", { class: "chart-box" }, message(t("loading")));

    clear(root).append(
      backLink(),
      h("section", { class: `panel alert-detail severity-${alert.severity}` },
        h("div", { class: "card-head" }, chip("severity", alert.severity), chip("status", alert.status)),
        h("h2", {}, `${category(alert.category)} · ${site?.name || alert.site_id}`),
        h("p", { class: "muted small" }, `${t("meter")} ${alert.meter_id} · ${t("started")} ${when(alert.started_at, tz)} · `,
          alert.ongoing ? t("ongoing") : `${t("ended")} ${when(alert.ended_at, tz)}`),
        h("div", { class: "summary three" },
          figure(t("waste"), `${num(alert.wasted_kwh)} kWh`),
          figure(t("cost"), `¥${num(alert.cost_cny, 2)}`),
          figure(t("co2"), mass(alert.co2e_kg), `${alert.factor_kg_per_kwh} kgCO₂/kWh`)),
        h("p", { class: "compare" }, `${t("actual")} ${num(alert.actual_kwh)} kWh · ${t("expected")} ${num(alert.expected_kwh)} kWh`),
        h("h3", {}, t("explanation")),
        h("p", { class: "explanation" }, text || t("noExplanation")),
        h("h3", {}, t("chartTitle")),
        chartBox,
        h("div", { class: "actions" },
          h("button", { class: "secondary", disabled: alert.status !== "open", onclick: () => act("acknowledge") }, t("acknowledge")),
          h("button", { class: "primary", disabled: alert.status === "resolved", onclick: () => act("resolve") }, t("resolve"))),
        feedback));

    try {
      const series = await call(`/sites/${encodeURIComponent(alert.site_id)}/meters/${encodeURIComponent(alert.meter_id)}/series`,
        { params: chartWindow(alert) });
      const hasData = series.points.some((p) => p.value !== null);
      clear(chartBox).append(hasData
        ? hourlyChart(series, { start: alert.started_at, end: alert.ended_at }, { timeZone: tz, label: t("chartTitle") })
        : message(t("chartEmpty")));
    } catch (err) {
      ctx.handleError(err, clear(chartBox));
    }
  }

  function backLink() {
    return h("a", { class: "back", href: "#/alerts" }, t("back"));
  }

  clear(root).append(message(t("loading")));
  load();
  return () => {};
}
