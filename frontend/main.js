// Chorus front-end entry point: htmx, plus small progressive enhancements.
import htmx from "htmx.org";

window.htmx = htmx;

// Close the mobile menu when a link inside it is followed or Escape is pressed.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  for (const menu of document.querySelectorAll("details.menu[open]")) {
    menu.open = false;
    menu.querySelector("summary")?.focus();
  }
});

// On wide screens the navigation is always shown; on phones it folds into "Menu".
const wide = window.matchMedia("(min-width: 48rem)");
function syncMenu() {
  for (const menu of document.querySelectorAll("details.menu")) menu.open = wide.matches;
}
wide.addEventListener("change", syncMenu);
document.addEventListener("DOMContentLoaded", syncMenu);

// The organisation's accent colour: a CSS custom property set through the CSSOM, which the
// CSP allows (an inline style attribute it would refuse). Only #RRGGBB is taken. Buttons
// wear it, with black or white text, whichever contrasts more (at least 4.5:1 for any colour).
function luminance(hex) {
  const channel = (offset) => {
    const value = parseInt(hex.slice(offset, offset + 2), 16) / 255;
    return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}
document.addEventListener("DOMContentLoaded", () => {
  const element = document.querySelector("[data-accent-color]");
  const color = element ? element.getAttribute("data-accent-color") || "" : "";
  if (!/^#[0-9a-fA-F]{6}$/.test(color)) return;
  const light = luminance(color);
  const onWhite = 1.05 / (light + 0.05);
  const onBlack = (light + 0.05) / 0.05;
  const root = document.documentElement.style;
  root.setProperty("--org-accent", color);
  root.setProperty("--org-accent-fg", onWhite >= onBlack ? "#ffffff" : "#000000");
});

// A table wider than its box scrolls inside it: make that box reachable by keyboard.
function focusableScrollers() {
  for (const box of document.querySelectorAll(".table-wrap, main table, .subnav")) {
    if (box.scrollWidth > box.clientWidth + 1 && !box.hasAttribute("tabindex")) {
      box.setAttribute("tabindex", "0");
    }
  }
}
document.addEventListener("DOMContentLoaded", focusableScrollers);
window.addEventListener("resize", focusableScrollers);
// Panels that htmx loads after the page (the item's caption variants, say) get the same.
document.addEventListener("htmx:afterSettle", focusableScrollers);

// Select a freshly created token so it can be copied at once.
document.addEventListener("DOMContentLoaded", () => {
  const token = document.getElementById("new-token");
  if (token) {
    token.focus();
    token.select();
  }
});

if ("serviceWorker" in navigator && window.isSecureContext) {
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {
      // The app works without it; installing on a phone just won't be offered.
    });
  });
}

// Copy a share's text to the clipboard (share intents that only take a link need it).
async function copyFrom(id) {
  const field = document.getElementById(id);
  if (!field) return false;
  try {
    await navigator.clipboard.writeText(field.value);
  } catch {
    field.select();
    document.execCommand("copy");
  }
  for (const status of document.querySelectorAll(".copied")) status.hidden = false;
  return true;
}
document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target.closest("[data-copy], [data-copy-first]") : null;
  if (!target) return;
  const id = target.getAttribute("data-copy") || target.getAttribute("data-copy-first");
  if (id) copyFrom(id);
});

// The composer keeps what was typed for each network, across tab switches and reloads, in
// this browser until it is shared. The form names its draft (data-draft: org, item,
// network); a page re-shown after a refusal (data-draft-bound) keeps what was sent.
function stored(action, key, value) {
  try {
    if (action === "get") return window.localStorage.getItem(key);
    if (action === "set") window.localStorage.setItem(key, value);
    if (action === "remove") window.localStorage.removeItem(key);
  } catch {
    // Storage refused (private browsing, full): the composer works without drafts.
  }
  return null;
}
const SENT_DRAFT = "chorus:draft-sent";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-draft]");
  const key = form ? form.getAttribute("data-draft") : null;
  const bound = form ? form.hasAttribute("data-draft-bound") : false;
  let sent = null;
  try {
    sent = window.sessionStorage.getItem(SENT_DRAFT);
    window.sessionStorage.removeItem(SENT_DRAFT);
  } catch {
    sent = null;
  }
  // The share went through (this page is not the same composer shown again): forget it.
  if (sent && !(bound && sent === key)) stored("remove", sent);
  const field = form ? form.querySelector("textarea[name=text]") : null;
  if (!form || !key || !field) return;
  const saved = stored("get", key);
  if (bound) {
    stored("set", key, field.value);
  } else if (saved !== null && saved !== field.value) {
    field.value = saved;
    field.dispatchEvent(new Event("input", { bubbles: true })); // htmx refreshes the check
  }
  field.addEventListener("input", () => stored("set", key, field.value));
  form.addEventListener("submit", () => {
    try {
      window.sessionStorage.setItem(SENT_DRAFT, key);
    } catch {
      // Without session storage the draft simply stays until replaced.
    }
  });
});

// "Use this text": the composer takes the suggested variant in place of what was typed (the
// draft keeps what the person wrote until they choose, so no words are lost by asking).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-use-text]");
  if (!button) return;
  const source = document.getElementById(button.getAttribute("data-use-text"));
  const field = document.querySelector("form[data-draft] textarea[name=text]");
  if (!source || !field) return;
  field.value = source.innerText.trim();
  field.dispatchEvent(new Event("input", { bubbles: true }));
  field.focus();
});

// Charts of the analytics dashboard (drawn only where the page has chart data).
import "./charts.js";
