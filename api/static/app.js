// The dashboard shell: sign-in, language toggle, and a hash router over the three views.
import { ApiError, call, forgetKey, saveKey, savedKey } from "./api.js";
import { applyStatic, t, toggleLang } from "./i18n.js";
import { clear, h, message } from "./dom.js";
import { inboxView } from "./inbox.js";
import { alertView } from "./alert.js";
import { carbonView } from "./carbon.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const ctx = { sites: [], handleError };
let leave = () => {};

function handleError(err, where) {
  if (err instanceof ApiError && err.status === 401) return signOut(t("badKey"));
  const text = err instanceof ApiError && err.status === 0 ? t("networkError") : `${t("error")}: ${err.message}`;
  clear(where).append(message(text, "error"));
}

function signOut(reason) {
  forgetKey();
  leave();
  leave = () => {};
  showSignIn(reason);
}

function showSignIn(reason) {
  nav.hidden = true;
  document.getElementById("sign-out").hidden = true;
  const input = h("input", {
    type: "password", name: "key", autocomplete: "current-password", required: true,
    placeholder: "kw_…", id: "key-input", spellcheck: "false",
  });
  const feedback = h("div", {}, reason ? message(reason, "error") : null);
  const form = h("form", { class: "panel sign-in", onsubmit: async (e) => {
    e.preventDefault();
    clear(feedback);
    const key = input.value.trim();
    try {
      await call("/sites", { key });
      saveKey(key);
      start();
    } catch (err) {
      feedback.append(message(err.status === 401 ? t("badKey") : t("networkError"), "error"));
    }
  } },
    h("h2", {}, t("signInTitle")),
    h("p", { class: "muted" }, t("signInHint")),
    h("label", { for: "key-input" }, t("apiKey")),
    input,
    h("button", { class: "primary wide", type: "submit" }, t("signIn")),
    feedback);
  clear(main).append(form);
  input.focus();
}

function route() {
  leave();
  const hash = location.hash || "#/alerts";
  const alertMatch = hash.match(/^#\/alerts\/(\d+)$/);
  for (const link of nav.querySelectorAll("a")) {
    link.classList.toggle("active", hash.startsWith(link.getAttribute("href")));
  }
  if (alertMatch) leave = alertView(main, ctx, Number(alertMatch[1]));
  else if (hash === "#/carbon") leave = carbonView(main, ctx);
  else leave = inboxView(main, ctx);
}

async function start() {
  try {
    ctx.sites = (await call("/sites")).data;
  } catch (err) {
    return handleError(err, main);
  }
  nav.hidden = false;
  document.getElementById("sign-out").hidden = false;
  route();
}

window.addEventListener("hashchange", () => { if (savedKey()) route(); });
document.getElementById("lang").addEventListener("click", () => {
  toggleLang();
  if (savedKey()) route(); else showSignIn();
});
document.getElementById("sign-out").addEventListener("click", () => signOut());

applyStatic();
if (savedKey()) start(); else showSignIn();
