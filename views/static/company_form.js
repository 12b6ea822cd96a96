// The new-company form: its in-page sections become tabs, and the company register search becomes a
// typeahead over /companies/new/lookup whose hits fill the form. Without JavaScript the sections
// stack, the search reloads the page with hits, and "Use this" fills the form on the server.
(function () {
  "use strict";
  var form = document.getElementById("company-form");
  if (!form) return;

  // --- tabs -------------------------------------------------------------------------------------
  var nav = form.querySelector(".form-tabs");
  var tabs = nav ? Array.prototype.slice.call(nav.querySelectorAll("a[data-tab]")) : [];
  var panels = tabs.map(function (a) { return document.getElementById("sec-" + a.getAttribute("data-tab")); });

  function selectTab(index, focusTab) {
    tabs.forEach(function (tab, i) {
      var on = i === index;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.setAttribute("tabindex", on ? "0" : "-1");
      if (panels[i]) panels[i].hidden = !on;
    });
    if (focusTab) tabs[index].focus();
  }

  function panelIndexOf(el) {
    for (var i = 0; i < panels.length; i++) {
      if (panels[i] && panels[i].contains(el)) return i;
    }
    return -1;
  }

  function showField(el) {
    var i = panelIndexOf(el);
    if (i >= 0) selectTab(i, false);
    el.focus();
  }

  if (tabs.length && panels.every(Boolean)) {
    form.classList.add("js-tabs");
    var list = nav.querySelector("ul");
    list.setAttribute("role", "tablist");
    tabs.forEach(function (tab, i) {
      tab.setAttribute("role", "tab");
      tab.id = tab.id || "tab-" + tab.getAttribute("data-tab");
      tab.setAttribute("aria-controls", panels[i].id);
      tab.parentNode.setAttribute("role", "presentation");
      panels[i].setAttribute("role", "tabpanel");
      panels[i].setAttribute("aria-labelledby", tab.id);
      tab.addEventListener("click", function (ev) { ev.preventDefault(); selectTab(i, false); });
      tab.addEventListener("keydown", function (ev) {
        var next = null;
        if (ev.key === "ArrowRight") next = (i + 1) % tabs.length;
        else if (ev.key === "ArrowLeft") next = (i - 1 + tabs.length) % tabs.length;
        else if (ev.key === "Home") next = 0;
        else if (ev.key === "End") next = tabs.length - 1;
        if (next !== null) { ev.preventDefault(); selectTab(next, true); }
      });
    });
    // Open the first tab with an error (what the server marked), else the one in the address bar.
    var firstError = form.querySelector("[aria-invalid='true'], .has-error");
    var start = firstError ? panelIndexOf(firstError) : -1;
    if (start < 0 && location.hash) {
      start = tabs.findIndex(function (t) { return t.getAttribute("href") === location.hash; });
    }
    selectTab(start < 0 ? 0 : start, false);
  }

  // Links of the error summary jump to a field, possibly in another tab.
  document.querySelectorAll(".error-summary a[href^='#']").forEach(function (a) {
    a.addEventListener("click", function (ev) {
      var target = document.getElementById(a.getAttribute("href").slice(1));
      if (!target) return;
      ev.preventDefault();
      var focusable = target.matches("input, select, textarea") ? target : target.querySelector("input, select");
      showField(focusable || target);
    });
  });

  // --- the company register -----------------------------------------------------------------------
  var lookupForm = document.querySelector(".lookup-form[data-lookup-url]");
  if (!lookupForm) return;
  var url = lookupForm.getAttribute("data-lookup-url");
  var input = document.getElementById("lookup-q");
  var country = document.getElementById("lookup-country");
  var results = document.getElementById("lookup-results");
  var notice = document.getElementById("form-notice");
  var useLabel = lookupForm.getAttribute("data-use-label") || "Use this";
  var emptyLabel = lookupForm.getAttribute("data-empty-label") || "";
  var busyLabel = lookupForm.getAttribute("data-busy-label") || "";
  var seq = 0;
  var timer = null;

  function getJson(query) {
    return fetch(url + "?" + query, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        return r.json().catch(function () { return { error: { message: r.statusText } }; });
      });
  }

  function message(cls, text) {
    results.textContent = "";
    var p = document.createElement("p");
    p.className = cls;
    p.textContent = text;
    results.appendChild(p);
  }

  function render(hits) {
    results.textContent = "";
    if (!hits.length) { message("empty", emptyLabel); return; }
    var ul = document.createElement("ul");
    ul.className = "lookup-hits";
    hits.forEach(function (h) {
      var li = document.createElement("li");
      var text = document.createElement("span");
      text.className = "hit-text";
      var name = document.createElement("span");
      name.className = "hit-name";
      name.textContent = h.name || "";
      var meta = document.createElement("span");
      meta.className = "muted";
      var place = [h.street, [h.postal_code, h.city].filter(Boolean).join(" ")].filter(Boolean).join(", ");
      meta.textContent = [h.org_no, place, h.country && h.country !== "SE" ? h.country : ""].filter(Boolean).join(" · ");
      text.appendChild(name);
      text.appendChild(meta);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button button-small";
      button.setAttribute("data-org-no", h.org_no || "");
      button.setAttribute("data-country", h.country || "");
      button.textContent = useLabel;
      var hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = ": " + (h.name || "");
      button.appendChild(hidden);
      li.appendChild(text);
      li.appendChild(button);
      ul.appendChild(li);
    });
    results.appendChild(ul);
  }

  function search() {
    var q = input.value.trim();
    var mine = ++seq;
    if (q.length < 2) { results.textContent = ""; return; }
    if (busyLabel) message("muted", busyLabel);
    getJson("q=" + encodeURIComponent(q) + "&country=" + encodeURIComponent(country ? country.value : ""))
      .then(function (body) {
        if (mine !== seq) return;  // a newer search is under way
        if (body.error) message("error", body.error.message);
        else render(body.hits || []);
      })
      .catch(function () { if (mine === seq) message("error", lookupForm.getAttribute("data-down-label") || ""); });
  }

  function setField(name, value) {
    var el = form.elements.namedItem(name);
    if (!el || !el.tagName) return;  // unknown name, or a group of check boxes
    if (el.tagName === "SELECT" && !Array.prototype.some.call(el.options, function (o) { return o.value === value; })) {
      var opt = document.createElement("option");
      opt.value = value;
      opt.textContent = value;
      el.appendChild(opt);
    }
    el.value = value;
    el.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function use(button) {
    var orgNo = button.getAttribute("data-org-no");
    if (!orgNo) return;
    button.disabled = true;
    getJson("org_no=" + encodeURIComponent(orgNo) + "&country=" + encodeURIComponent(button.getAttribute("data-country") || ""))
      .then(function (body) {
        button.disabled = false;
        if (body.error) { message("error", body.error.message); return; }
        Object.keys(body.fields || {}).forEach(function (name) { setField(name, body.fields[name]); });
        if (notice) {
          notice.textContent = "";
          var p = document.createElement("p");
          p.textContent = body.message || "";
          notice.appendChild(p);
          notice.className = "box notice notice-good";
        }
        var nameField = document.getElementById("f-name");
        if (nameField) showField(nameField);
      })
      .catch(function () {
        button.disabled = false;
        message("error", lookupForm.getAttribute("data-down-label") || "");
      });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 300);
  });
  if (country) country.addEventListener("change", search);
  lookupForm.addEventListener("submit", function (ev) { ev.preventDefault(); clearTimeout(timer); search(); });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "ArrowDown") {
      var first = results.querySelector("button[data-org-no]");
      if (first) { ev.preventDefault(); first.focus(); }
    }
  });
  results.addEventListener("keydown", function (ev) {
    var buttons = Array.prototype.slice.call(results.querySelectorAll("button[data-org-no]"));
    var i = buttons.indexOf(document.activeElement);
    if (i < 0) return;
    if (ev.key === "ArrowDown" && i < buttons.length - 1) { ev.preventDefault(); buttons[i + 1].focus(); }
    else if (ev.key === "ArrowUp") { ev.preventDefault(); (i > 0 ? buttons[i - 1] : input).focus(); }
    else if (ev.key === "Escape") { input.focus(); }
  });
  // Both the hits rendered here and those the server rendered (submit buttons of the form) fill in place.
  results.addEventListener("click", function (ev) {
    var button = ev.target.closest("button[data-org-no]");
    if (!button) return;
    ev.preventDefault();
    use(button);
  });
})();
