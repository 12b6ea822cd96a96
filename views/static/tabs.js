// CRM Lite card tabs: load a tab, a sort order, a page or a filter in place (fetch + pushState).
// Without JavaScript every link and form works as it is: a full page load.
(function () {
  "use strict";
  if (!window.fetch || !window.history || !window.history.pushState || !window.DOMParser) return;

  var controller = null;

  function panel() { return document.getElementById("tab-panel"); }

  function sameOrigin(url) { return url.origin === window.location.origin; }

  function partialUrl(url) {
    var u = new URL(url.href);
    u.searchParams.set("partial", "1");
    return u;
  }

  function markTab(key) {
    document.querySelectorAll("[data-card-tabs] a[data-tab]").forEach(function (a) {
      if (a.getAttribute("data-tab") === key) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    });
  }

  function load(url, push, focus, tabKey) {
    var current = panel();
    if (!current) { window.location.assign(url.href); return; }
    if (controller) controller.abort();
    // The address bar and the tab bar follow the click at once (the panel follows when loaded),
    // so a quick second click or "back" always refers to what the user chose last.
    if (push) window.history.pushState({ crmTab: true }, "", url.href);
    if (tabKey) markTab(tabKey);
    controller = new AbortController();
    current.setAttribute("aria-busy", "true");
    fetch(partialUrl(url).href, {
      headers: { "X-Requested-With": "fetch", "Accept": "text/html" },
      credentials: "same-origin",
      signal: controller.signal
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      // Errors, sign-in redirects and anything unexpected: let the browser show the real page.
      if (!response.ok || type.indexOf("text/html") !== 0 || (response.redirected && new URL(response.url).pathname !== url.pathname)) {
        throw new Error("fallback");
      }
      return response.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var fresh = doc.getElementById("tab-panel");
      if (!fresh) throw new Error("fallback");
      fresh = document.importNode(fresh, true);
      current.replaceWith(fresh);
      markTab(fresh.getAttribute("data-tab"));
      if (fresh.getAttribute("data-title")) document.title = fresh.getAttribute("data-title");
      if (focus) fresh.focus({ preventScroll: true });
      controller = null;
    }).catch(function (err) {
      if (err && err.name === "AbortError") return;
      window.location.assign(url.href);
    });
  }

  function plainClick(ev, link) {
    return !(ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey ||
      link.hasAttribute("download") || (link.target && link.target !== "_self"));
  }

  document.addEventListener("click", function (ev) {
    var link = ev.target.closest ? ev.target.closest("a[href]") : null;
    if (!link || !plainClick(ev, link)) return;
    var inBar = link.closest("[data-card-tabs]") && link.getAttribute("data-tab") !== "overview";
    var inPanel = link.hasAttribute("data-partial") && link.closest("#tab-panel");
    if (!inBar && !inPanel) return;
    var url = new URL(link.href, window.location.href);
    if (!sameOrigin(url) || !panel()) return;
    ev.preventDefault();
    load(url, true, inBar, inBar ? link.getAttribute("data-tab") : null);
  });

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.matches || !form.matches("#tab-panel form[data-partial]") || (form.method || "get").toLowerCase() !== "get") return;
    var url = new URL(form.getAttribute("action") || window.location.href, window.location.href);
    if (!sameOrigin(url)) return;
    ev.preventDefault();
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (typeof value === "string" && value !== "" && key !== "partial") params.append(key, value);
    });
    url.search = params.toString();
    load(url, true, false);
  });

  window.addEventListener("popstate", function () {
    if (panel()) load(new URL(window.location.href), false, false);
  });

  // The first entry gets a state too, so that "back" to it is handled like the others.
  window.history.replaceState({ crmTab: true }, "", window.location.href);
})();
