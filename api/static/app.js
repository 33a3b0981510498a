// The dashboard shell: sign-in, language toggle, and a hash router over the views.
import { ApiError, call, signIn, signOut, whoAmI } from "./api.js";
import { applyStatic, t, toggleLang } from "./i18n.js";
import { clear, h, message } from "./dom.js";
import { inboxView } from "./inbox.js";
import { alertView } from "./alert.js";
import { siteView, sitesView } from "./site.js";
import { carbonView } from "./carbon.js";
import { deadLettersView } from "./deadletters.js";
import { reportView } from "./report.js";
import { loadCategories } from "./vocabulary.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const ctx = { sites: [], user: null, handleError };
let leave = () => {};

function handleError(err, where) {
  if (err instanceof ApiError && err.status === 401) return showSignIn(t("sessionEnded"));
  const text = err instanceof ApiError && err.status === 0 ? t("networkError") : `${t("error")}: ${err.message}`;
  clear(where).append(message(text, "error"));
}

function showSignIn(reason) {
  leave();
  leave = () => {};
  ctx.user = null;
  nav.hidden = true;
  document.getElementById("sign-out").hidden = true;
  document.getElementById("who").hidden = true;
  const username = h("input", { type: "text", name: "username", id: "username", autocomplete: "username", required: true,
    autocapitalize: "none", spellcheck: "false" });
  const password = h("input", { type: "password", name: "password", id: "password", autocomplete: "current-password", required: true });
  const feedback = h("div", {}, reason ? message(reason, "error") : null);
  const form = h("form", { class: "panel sign-in", onsubmit: async (e) => {
    e.preventDefault();
    clear(feedback);
    try {
      await signIn(username.value.trim(), password.value);
      start();
    } catch (err) {
      feedback.append(message(err.status === 401 ? t("badLogin") : t("networkError"), "error"));
    }
  } },
    h("h2", {}, t("signInTitle")),
    h("p", { class: "muted" }, t("signInHint")),
    h("label", { for: "username" }, t("username")), username,
    h("label", { for: "password" }, t("password")), password,
    h("button", { class: "primary wide", type: "submit" }, t("signIn")),
    feedback);
  clear(main).append(form);
  username.focus();
}

function route() {
  leave();
  const hash = location.hash || "#/alerts";
  for (const link of nav.querySelectorAll("a")) {
    link.classList.toggle("active", hash.startsWith(link.getAttribute("href")));
  }
  const alertMatch = hash.match(/^#\/alerts\/(\d+)$/);
  const siteMatch = hash.match(/^#\/sites\/([^/]+)$/);
  const reportMatch = hash.match(/^#\/report(?:\/([^/]+)(?:\/(\d{4}-\d{2}))?)?$/);
  if (alertMatch) leave = alertView(main, ctx, Number(alertMatch[1]));
  else if (siteMatch) leave = siteView(main, ctx, decodeURIComponent(siteMatch[1]));
  else if (hash === "#/sites") leave = sitesView(main, ctx);
  else if (reportMatch) leave = reportView(main, ctx, reportMatch[1] && decodeURIComponent(reportMatch[1]), reportMatch[2]);
  else if (hash.startsWith("#/carbon")) leave = carbonView(main, ctx);
  else if (hash === "#/dead-letters" && ctx.user.role === "admin") leave = deadLettersView(main, ctx);
  else leave = inboxView(main, ctx);
}

async function start() {
  try {
    ctx.user = await whoAmI();
    [ctx.sites] = await Promise.all([call("/sites").then((r) => r.data), loadCategories(call)]);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return showSignIn();
    return handleError(err, main);
  }
  nav.hidden = false;
  document.getElementById("tab-dead-letters").hidden = ctx.user.role !== "admin";
  document.getElementById("sign-out").hidden = false;
  const who = document.getElementById("who");
  who.hidden = false;
  who.textContent = ctx.user.display_name || ctx.user.name;
  route();
}

window.addEventListener("hashchange", () => { if (ctx.user) route(); });
document.getElementById("lang").addEventListener("click", () => {
  toggleLang();
  if (ctx.user) route(); else showSignIn();
});
document.getElementById("sign-out").addEventListener("click", async () => {
  await signOut().catch(() => {});
  showSignIn();
});

applyStatic();
start();
