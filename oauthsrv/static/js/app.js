// Small behaviours the CSP allows (no inline scripts): auto-submitting selects, closing menus.
"use strict";

// CSS folds the top bar behind a Menu button only when this script runs (else it just wraps).
document.documentElement.classList.add("js");

document.addEventListener("click", (event) => {
  const toggle = event.target.closest(".menu-toggle");
  if (!toggle) return;
  const open = toggle.getAttribute("aria-expanded") !== "true";
  toggle.setAttribute("aria-expanded", String(open));
  toggle.closest(".topbar").classList.toggle("is-open", open);
});

document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-autosubmit]");
  if (select) select.form.requestSubmit();
});

// A click outside an open <details> menu closes it, as users expect of a drop-down.
document.addEventListener("click", (event) => {
  document.querySelectorAll("details.menu[open]").forEach((menu) => {
    if (!menu.contains(event.target)) menu.removeAttribute("open");
  });
});

// ---- Dialogs (OAuth Applications): htmx swaps them into #modal-root; closing empties it. ----

const modalRoot = () => document.getElementById("modal-root");

// Empties #modal-root; a dialog may ask (data-close-trigger) for an event, e.g. a grid refresh.
function closeDialog() {
  const root = modalRoot();
  const dialog = root && root.querySelector("[data-modal]");
  if (!dialog) return false;
  const trigger = dialog.dataset.closeTrigger;
  root.replaceChildren();
  if (trigger) document.body.dispatchEvent(new CustomEvent(trigger, { bubbles: true }));
  return true;
}

// Close links (data-dismiss) are real links to the grid: without JavaScript they navigate.
document.addEventListener("click", (event) => {
  const dismiss = event.target.closest("[data-dismiss]");
  if (dismiss && dismiss.closest("#modal-root") && closeDialog()) event.preventDefault();
});

// Escape closes a dialog, except one that shows a secret (closing it loses the secret for good).
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const dialog = document.querySelector("#modal-root [data-modal]");
  if (dialog && !("keepOnEscape" in dialog.dataset)) closeDialog();
});

// ---- Focus: into a dialog when it opens, kept inside it, back to the opener when it closes. ----

let opener = null; // the button or link that opened the open dialog
const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), ' +
  'select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

// A row menu's item is hidden once the menu closes: its menu button stands in for it.
function focusableOpener(element) {
  const menu = element && element.closest("details.menu");
  return menu ? menu.querySelector("summary") : element;
}

document.addEventListener("htmx:beforeRequest", (event) => {
  const root = modalRoot();
  if (root && event.detail.target === root && root.childElementCount === 0) {
    opener = focusableOpener(event.detail.elt);
  }
});

function focusDialog(root) {
  const dialog = root.querySelector('[role="dialog"], [role="alertdialog"]');
  if (!dialog || dialog.contains(document.activeElement)) return;
  const first = dialog.querySelector("[autofocus]") || dialog.querySelector(FOCUSABLE);
  if (first) first.focus();
  else { dialog.tabIndex = -1; dialog.focus(); }
}

// The opener, or (its row was deleted or redrawn) the same row's button, else the section.
function restoreFocus() {
  const target = opener;
  opener = null;
  if (target && target.isConnected) { target.focus(); return; }
  const fallback = () => {
    if (document.activeElement && document.activeElement !== document.body) return;
    const again = target && target.id && document.getElementById(target.id);
    const section = document.querySelector("#oauth-applications h2, main h1");
    if (again) again.focus();
    else if (section) { section.tabIndex = -1; section.focus(); }
  };
  document.body.addEventListener("htmx:afterSettle", fallback, { once: true });
  setTimeout(fallback, 1000);
}

// Tab and Shift+Tab cycle inside the open dialog.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Tab") return;
  const dialog = document.querySelector('#modal-root [role="dialog"], #modal-root [role="alertdialog"]');
  if (!dialog) return;
  const items = Array.from(dialog.querySelectorAll(FOCUSABLE)).filter((el) => el.offsetParent !== null);
  if (!items.length) return;
  const first = items[0], last = items[items.length - 1];
  if (event.shiftKey && (document.activeElement === first || !dialog.contains(document.activeElement))) {
    event.preventDefault(); last.focus();
  } else if (!event.shiftKey && (document.activeElement === last || !dialog.contains(document.activeElement))) {
    event.preventDefault(); first.focus();
  }
});

// While a dialog is open the page behind it is inert: no Tab, click or screen reader gets there.
document.addEventListener("DOMContentLoaded", () => {
  const root = modalRoot();
  if (!root) return;
  let wasOpen = false;
  new MutationObserver(() => {
    const open = root.childElementCount > 0;
    for (const element of document.body.children) {
      if (element !== root) element.inert = open;
    }
    if (open) focusDialog(root);
    else if (wasOpen) restoreFocus();
    wasOpen = open;
  }).observe(root, { childList: true });
});

// A secret must not come back with the page from the browser's back/forward cache.
window.addEventListener("pagehide", () => {
  const root = modalRoot();
  if (root && root.querySelector('[hx-history="false"]')) root.replaceChildren();
});

// Choosing an item in a More Options menu closes the menu.
document.addEventListener("click", (event) => {
  const item = event.target.closest(".menu-items [role=menuitem]");
  const menu = item && item.closest("details.menu");
  if (menu) menu.removeAttribute("open");
});

// ---- Copy buttons: data-copy names the input whose value goes to the clipboard. ----

async function copyValue(input) {
  try {
    await navigator.clipboard.writeText(input.value);
    return true;
  } catch {
    input.select(); // older browsers or a page not served over HTTPS
    return document.execCommand("copy");
  }
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const input = document.getElementById(button.dataset.copy);
  const status = button.parentElement.querySelector(".copy-status");
  const copied = await copyValue(input);
  if (!status) return;
  status.textContent = copied ? "Copied" : "Press Ctrl+C to copy";
  clearTimeout(status.timer);
  status.timer = setTimeout(() => { status.textContent = ""; }, 4000);
});

// ---- htmx ----

// Validation errors (422) and refusals (409) come back as dialogs to show, not as failures.
document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  if (status === 422 || status === 409) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// After a change the server asks (HX-Trigger show-notice) for a short confirmation: it goes into
// the page's role="status" region, which screen readers announce, replacing the previous one.
document.body.addEventListener("show-notice", (event) => {
  const region = document.getElementById("notices");
  if (!region) return;
  const notice = document.createElement("div");
  notice.className = "alert alert-success";
  notice.textContent = event.detail.value;
  region.replaceChildren(notice);
});

// Filter forms marked data-drop-empty leave empty fields out of the URL they push.
document.addEventListener("htmx:configRequest", (event) => {
  if (!event.detail.elt.matches("form[data-drop-empty]")) return;
  const params = event.detail.parameters;
  // htmx 2 hands over a FormData proxy: keys() and get() read it, delete removes a field.
  for (const name of Array.from(params.keys())) {
    if (params.get(name) === "") delete params[name];
  }
});

// Any other failure: say so in a dialog instead of silently doing nothing.
function showFailure(message) {
  const root = modalRoot();
  if (!root) return;
  const backdrop = document.createElement("div");
  backdrop.className = "modal-backdrop";
  backdrop.dataset.modal = "";
  const dialog = document.createElement("div");
  dialog.className = "modal";
  dialog.setAttribute("role", "alertdialog");
  dialog.setAttribute("aria-labelledby", "failure-title");
  const header = document.createElement("div");
  header.className = "modal-header";
  const title = document.createElement("h2");
  title.id = "failure-title";
  title.textContent = "Something went wrong";
  const close = document.createElement("button");
  close.className = "modal-close";
  close.type = "button";
  close.dataset.dismiss = "";
  close.setAttribute("aria-label", "Close");
  close.textContent = "×";
  header.append(title, close);
  const body = document.createElement("div");
  body.className = "modal-body";
  const text = document.createElement("p");
  text.textContent = message;
  body.append(text);
  dialog.append(header, body);
  backdrop.append(dialog);
  root.replaceChildren(backdrop);
  close.focus();
}

document.addEventListener("htmx:responseError", (event) => {
  const xhr = event.detail.xhr;
  const reason = xhr.status === 404 ? "It may have been deleted meanwhile." : "";
  showFailure(`The request failed (${xhr.status} ${xhr.statusText}). ${reason} Reload the page and try again.`);
});

document.addEventListener("htmx:sendError", () => {
  showFailure("The server could not be reached. Check your connection and try again.");
});
