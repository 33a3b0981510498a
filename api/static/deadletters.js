// Dead letters (admins): the messages ingest rejected, newest first, to find a misconfigured gateway.
import { call } from "./api.js";
import { t } from "./i18n.js";
import { clear, h, message, when } from "./dom.js";

const PAGE = 50;

export function deadLettersView(root, ctx) {
  const filters = { site_id: "", kind: "", limit: PAGE };
  const body = h("div", {}, message(t("loading")));

  async function load() {
    try {
      const page = await call("/dead-letters", { params: filters });
      if (!page.data.length) return clear(body).append(message(t("noDeadLetters")));
      const rows = page.data.map((d) => h("tr", { "data-dead-letter-id": d.id },
        h("td", { class: "nowrap" }, when(d.received_at)),
        h("td", {}, h("span", { class: "chip" }, d.kind)),
        h("td", {}, d.site_id || "–"),
        h("td", { class: "mono" }, d.topic, h("small", { class: "muted reason" }, d.reason)),
        h("td", { class: "mono payload" }, d.payload_head, d.payload_bytes > d.payload_head.length ? "…" : "")));
      clear(body).append(
        h("p", { class: "muted small" }, t("deadLettersCount").replace("{n}", page.data.length).replace("{total}", page.total)),
        h("div", { class: "table-box" }, h("table", { class: "dead-letters" },
          h("thead", {}, h("tr", {}, [t("receivedAt"), t("dlKind"), t("site"), t("topic"), t("payloadHead")].map((c) => h("th", {}, c)))),
          h("tbody", {}, rows))),
        ...(page.total > page.data.length
          ? [h("button", { class: "secondary wide", onclick: () => { filters.limit += PAGE; load(); } }, t("loadMore"))] : []));
    } catch (err) {
      ctx.handleError(err, clear(body));
    }
  }

  const site = h("select", { name: "site_id", onchange: (e) => { filters.site_id = e.target.value; filters.limit = PAGE; load(); } },
    [["", t("allSites")], ...ctx.sites.map((s) => [s.site_id, s.name])].map(([v, label]) => h("option", { value: v }, label)));
  const kind = h("input", { name: "kind", placeholder: "malformed_json", autocapitalize: "none", spellcheck: "false",
    onchange: (e) => { filters.kind = e.target.value.trim(); filters.limit = PAGE; load(); } });
  clear(root).append(h("h2", {}, t("deadLettersTitle")), h("p", { class: "muted small" }, t("deadLettersHint")),
    h("div", { class: "filters stacked" }, h("label", {}, h("span", {}, t("site")), site), h("label", {}, h("span", {}, t("dlKind")), kind)),
    body);
  load();
  return () => {};
}
