// One alert: the waste so far, the explanation, actual against expected, the actions and their history.
import { ApiError, call } from "./api.js";
import { currentLang, t } from "./i18n.js";
import { chip, clear, h, mass, message, num, stat, when } from "./dom.js";
import { usageChart } from "./chart.js";
import { meterTitle } from "./inbox.js";
import { HOME_TZ } from "./vocabulary.js";

const HOUR_MS = 3600000;
// Context shown either side of the episode when the detector sent no series, and the longest window served.
const MARGIN_MS = 24 * HOUR_MS;
const MAX_WINDOW_MS = 90 * 24 * HOUR_MS;

function chartWindow(alert) {
  const start = Date.parse(alert.started_at) - MARGIN_MS;
  const end = Math.min(Date.parse(alert.ended_at) + MARGIN_MS, Date.now() + HOUR_MS);
  return { start: new Date(Math.max(start, end - MAX_WINDOW_MS)).toISOString(), end: new Date(end).toISOString() };
}

async function chartPoints(alert) {
  const series = alert.explanation?.series;
  if (series?.length) {
    return { points: series.map((p) => ({ at: p.ts, actual: p.actual_kwh, expected: p.expected_kwh })), fromMeter: false };
  }
  const hourly = await call(`/sites/${encodeURIComponent(alert.site_id)}/meters/${encodeURIComponent(alert.meter_id)}/series`,
    { params: chartWindow(alert) });
  return { points: hourly.points.map((p) => ({ at: p.at, actual: p.value, expected: null })), fromMeter: true };
}

function historyList(events, tz) {
  if (!events.length) return message(t("noHistory"));
  return h("ol", { class: "history" }, events.map((e) => {
    let detail = "";
    if (typeof e.detail === "string") detail = e.detail;
    else if (e.detail?.assignee !== undefined) detail = e.detail.assignee || t("unassigned");
    else if (e.detail?.note) detail = e.detail.note;
    else if (e.detail?.reason) detail = e.detail.reason;
    else if (e.detail?.until) detail = `${t("snoozedUntil")} ${when(new Date(e.detail.until * 1000).toISOString(), tz)}`;
    return h("li", { class: `event ev-${e.action}` },
      h("span", { class: "event-head" }, h("b", {}, t(`ev_${e.action}`)), ` · ${e.actor} · ${when(e.at, tz)}`),
      detail ? h("span", { class: "event-detail" }, detail) : null);
  }));
}

export function alertView(root, ctx, id) {
  const feedback = h("div", { class: "feedback", "aria-live": "polite" });
  let active = true;

  async function act(action, body) {
    clear(feedback);
    try {
      await call(`/alerts/${id}/${action}`, { method: "POST", body });
      feedback.append(message(t("done"), "ok"));
      load();
    } catch (err) {
      const text = { 403: t("forbidden"), 409: t("conflict"), 404: t("notFound") }[err.status];
      if (text && err instanceof ApiError) feedback.append(message(text, "error"));
      else ctx.handleError(err, feedback);
    }
  }

  function actions(alert) {
    if (ctx.user?.role === "viewer") return message(t("readOnly"));
    const resolved = alert.status === "resolved";
    const assignee = h("input", { name: "assignee", placeholder: t("assignPlaceholder"), value: alert.assignee || "" });
    const note = h("textarea", { name: "comment", rows: "2", placeholder: t("commentPlaceholder") });
    const hours = h("select", { name: "snooze-hours" }, [["4", t("hours4")], ["24", t("hours24")], ["72", t("hours72")]]
      .map(([v, label]) => h("option", { value: v }, label)));
    const reason = h("input", { name: "not-waste-reason", placeholder: t("notWasteReason") });
    return h("div", { class: "action-panel" },
      h("div", { class: "actions" },
        resolved
          ? h("button", { class: "secondary", id: "reopen", onclick: () => act("reopen") }, t("reopen"))
          : [h("button", { class: "secondary", id: "acknowledge", disabled: alert.status !== "open", onclick: () => act("acknowledge") }, t("acknowledge")),
            h("button", { class: "primary", id: "resolve", onclick: () => act("resolve") }, t("resolve"))]),
      resolved ? null : h("div", { class: "inline-form" }, h("label", {}, h("span", {}, t("assignee")), assignee),
        h("button", { class: "secondary", id: "assign", onclick: () => act("assign", { assignee: assignee.value.trim() || null }) }, t("assign"))),
      resolved ? null : h("div", { class: "inline-form" }, h("label", {}, h("span", {}, t("snoozeHours")), hours),
        h("button", { class: "secondary", id: "snooze", onclick: () => act("snooze", { hours: Number(hours.value) }) }, t("snooze"))),
      h("div", { class: "inline-form" }, h("label", {}, h("span", {}, t("comment")), note),
        h("button", { class: "secondary", id: "comment", onclick: () => { if (note.value.trim()) act("comments", { text: note.value.trim() }); } }, t("comment"))),
      alert.feedback === "not_waste" ? message(t("feedbackNotWaste")) : h("div", { class: "inline-form" },
        h("label", {}, h("span", {}, t("notWaste")), reason),
        h("button", { class: "secondary warn", id: "not-waste", onclick: () => act("feedback", { reason: reason.value.trim() }) }, t("notWaste")),
        h("small", { class: "muted" }, t("notWasteHint"))));
  }

  async function load() {
    let alert;
    try {
      alert = await call(`/alerts/${id}`);
    } catch (err) {
      if (err.status === 404) return clear(root).append(backLink(), message(t("notFound"), "error"));
      return ctx.handleError(err, root);
    }
    if (!active) return;
    const site = ctx.sites.find((s) => s.site_id === alert.site_id);
    const tz = site?.timezone || HOME_TZ;
    const ex = alert.explanation;
    const text = ex ? (currentLang() === "zh" ? ex.text_zh || ex.text_en : ex.text_en || ex.text_zh) : null;
    const chartBox = h("div", { class: "chart-box" }, message(t("loading")));

    clear(root).append(
      backLink(),
      h("section", { class: `panel alert-detail severity-${alert.severity}` },
        h("div", { class: "card-head" }, chip("severity", alert.severity), chip("status", alert.status),
          alert.assignee ? h("span", { class: "chip" }, `${t("assignee")}: ${alert.assignee}`) : null),
        h("h2", {}, h("a", { href: `#/sites/${encodeURIComponent(alert.site_id)}` }, site?.name || alert.site_id)),
        meterTitle(alert, "detail-title"),
        h("p", { class: "muted small" }, `${t("started")} ${when(alert.started_at, tz)} · `,
          alert.ongoing ? t("ongoing") : `${t("ended")} ${when(alert.ended_at, tz)}`),
        h("p", { class: "muted small" }, t("wasteSoFar")),
        h("div", { class: "summary three" },
          stat(t("waste"), `${num(alert.wasted_kwh)} kWh`),
          stat(t("cost"), `¥${num(alert.cost_cny, 2)}`),
          stat(t("co2"), `${mass(alert.co2e_kg)} CO₂e`, `${alert.factor_kg_per_kwh} kgCO₂/kWh`)),
        h("p", { class: "compare" }, `${t("actual")} ${num(alert.actual_kwh)} kWh · ${t("expected")} ${num(alert.expected_kwh)} kWh`),
        h("h3", {}, t("explanation")),
        h("p", { class: "explanation" }, text || t("noExplanation")),
        h("h3", {}, t("chartTitle")),
        chartBox),
      h("section", { class: "panel" }, h("h3", {}, t("actions")), actions(alert), feedback),
      h("section", { class: "panel" }, h("h3", {}, t("history")), historyList(alert.history || [], tz)));

    try {
      const { points, fromMeter } = await chartPoints(alert);
      const hasData = points.some((p) => p.actual !== null && p.actual !== undefined);
      clear(chartBox).append(hasData
        ? usageChart(points, { start: alert.started_at, end: alert.ended_at },
          { timeZone: tz, label: t("chartTitle"), legend: fromMeter ? null : { actual: t("actual"), expected: t("expected") } })
        : message(t("chartEmpty")));
      if (fromMeter && hasData) chartBox.append(h("p", { class: "muted small" }, t("chartFromMeter")));
    } catch (err) {
      ctx.handleError(err, clear(chartBox));
    }
  }

  function backLink() {
    return h("a", { class: "back", href: "#/alerts" }, t("back"));
  }

  clear(root).append(message(t("loading")));
  load();
  return () => { active = false; };
}
