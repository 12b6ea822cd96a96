// CRM Lite keyboard shortcuts: "?" shows the help dialog, "g" then "d" goes to the dashboard,
// "g" then "r" to recently viewed. "/" (focus the search box) lives in typeahead.js.
// No shortcut fires while the user types in a field or holds Ctrl/Alt/Meta. Without JavaScript
// the footer link opens the /shortcuts page instead of the dialog.
(function () {
  "use strict";
  if (window.crmLiteShortcuts) return;  // the script is on the page twice: bind once
  window.crmLiteShortcuts = true;
  var dialog = document.getElementById("shortcuts-dialog");
  if (!dialog) return;
  var targets = { d: dialog.getAttribute("data-dashboard-url"), r: dialog.getAttribute("data-recent-url") };
  var SEQUENCE_MS = 1500;
  var gPressedAt = 0;
  var opener = null;
  var native = typeof dialog.showModal === "function";

  function typing(t) {
    return !!t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }

  function isOpen() { return dialog.hasAttribute("open"); }

  function focusables() {
    return Array.prototype.filter.call(
      dialog.querySelectorAll('a[href], button:not([disabled]), input, select, textarea, [tabindex]:not([tabindex="-1"])'),
      function (el) { return el.getClientRects().length > 0; });
  }

  function open() {
    if (isOpen()) return;
    opener = document.activeElement;
    if (native) dialog.showModal(); else dialog.setAttribute("open", "");
    var first = dialog.querySelector("[data-shortcuts-close]") || focusables()[0];
    if (first) first.focus();
  }

  function restoreFocus() {
    var back = opener;
    opener = null;
    if (back && back !== document.body && typeof back.focus === "function" && document.contains(back)) back.focus();
  }

  function close() {
    if (!isOpen()) return;
    if (native) dialog.close(); else { dialog.removeAttribute("open"); restoreFocus(); }
  }

  // Esc, the Close button (form method="dialog") and dialog.close() all end here.
  dialog.addEventListener("close", restoreFocus);

  // A click on the backdrop (the dialog box itself, outside its padded body) closes it.
  dialog.addEventListener("click", function (ev) { if (ev.target === dialog) close(); });

  // Keep Tab inside the dialog (showModal makes the page inert; this also covers the fallback).
  dialog.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && !native) { ev.preventDefault(); close(); return; }
    if (ev.key !== "Tab") return;
    var items = focusables();
    if (!items.length) { ev.preventDefault(); return; }
    var first = items[0], last = items[items.length - 1];
    if (ev.shiftKey && (document.activeElement === first || !dialog.contains(document.activeElement))) {
      ev.preventDefault(); last.focus();
    } else if (!ev.shiftKey && (document.activeElement === last || !dialog.contains(document.activeElement))) {
      ev.preventDefault(); first.focus();
    }
  });

  document.addEventListener("click", function (ev) {
    var link = ev.target.closest ? ev.target.closest("a[data-shortcuts-open]") : null;
    if (!link || ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey) return;
    ev.preventDefault();
    open();
  });

  document.addEventListener("keydown", function (ev) {
    if (ev.defaultPrevented || ev.isComposing || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (isOpen() || typing(ev.target)) { gPressedAt = 0; return; }
    var key = ev.key;
    if (key === "?") { ev.preventDefault(); gPressedAt = 0; open(); return; }
    if (gPressedAt && Date.now() - gPressedAt <= SEQUENCE_MS && targets[key]) {
      ev.preventDefault();
      gPressedAt = 0;
      window.location.assign(targets[key]);
      return;
    }
    gPressedAt = key === "g" ? Date.now() : 0;
  });
})();
