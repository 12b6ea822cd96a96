// CRM Lite top-menu search: typeahead over /search/typeahead (JSON) and "/" to focus the box.
// Without JavaScript the form simply submits to /search. All text goes in with textContent.
(function () {
  "use strict";
  var form = document.querySelector("form.search-form[data-typeahead-url]");
  if (!form) return;
  var input = form.querySelector("#global-search");
  var list = document.getElementById("typeahead-list");
  if (!input || !list) return;

  var url = form.getAttribute("data-typeahead-url");
  var DEBOUNCE_MS = 150;
  var MIN_CHARS = 2;
  var timer = null;
  var controller = null;
  var seq = 0;
  var options = [];
  var active = -1;

  var status = document.createElement("span");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  form.appendChild(status);

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function close() {
    list.hidden = true;
    list.textContent = "";
    options = [];
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function setActive(index) {
    if (!options.length) return;
    if (index < 0) index = options.length - 1;
    if (index >= options.length) index = 0;
    if (active >= 0 && options[active]) options[active].setAttribute("aria-selected", "false");
    active = index;
    var li = options[active];
    li.setAttribute("aria-selected", "true");
    input.setAttribute("aria-activedescendant", li.id);
    if (li.scrollIntoView) li.scrollIntoView({ block: "nearest" });
  }

  function addOption(href, build) {
    // The link itself is the option (a link inside an option would nest interactive roles).
    var li = el("li");
    li.setAttribute("role", "presentation");
    var a = el("a");
    a.id = "typeahead-opt-" + options.length;
    a.setAttribute("role", "option");
    a.setAttribute("aria-selected", "false");
    a.href = href;
    a.tabIndex = -1;
    build(a);
    li.appendChild(a);
    list.appendChild(li);
    options.push(a);
  }

  function render(data) {
    list.textContent = "";
    options = [];
    active = -1;
    input.removeAttribute("aria-activedescendant");
    if (!data || data.too_short) { close(); return; }
    var count = 0;
    (data.groups || []).forEach(function (group) {
      var head = el("li", "group", group.label);
      head.setAttribute("role", "presentation");
      list.appendChild(head);
      (group.hits || []).forEach(function (hit) {
        count += 1;
        addOption(hit.url, function (a) {
          a.appendChild(el("span", "typeahead-title", hit.title));
          (hit.badges || []).forEach(function (b) {
            a.appendChild(document.createTextNode(" "));
            a.appendChild(el("span", "badge" + (b.tone ? " badge-" + b.tone : ""), b.text));
          });
          if (hit.detail) {
            a.appendChild(el("br"));
            a.appendChild(el("small", "muted", hit.detail));
          }
        });
      });
    });
    if (!count) {
      var none = el("li", "empty", data.empty_label);
      none.setAttribute("role", "presentation");
      list.appendChild(none);
    }
    addOption(data.all_url, function (a) { a.appendChild(el("strong", null, data.all_label)); });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    status.textContent = count ? String(count) + " · " + data.all_label : data.empty_label;
  }

  function query() { return input.value.trim(); }

  function load(q) {
    if (controller) controller.abort();
    controller = typeof AbortController === "function" ? new AbortController() : null;
    var mine = ++seq;
    fetch(url + "?q=" + encodeURIComponent(q), {
      headers: { "Accept": "application/json" },
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (data) {
      // A late answer to an older query must never replace a newer one.
      if (mine !== seq || query() !== q) return;
      render(data);
    }).catch(function (err) {
      if (err && err.name === "AbortError") return;
      if (mine === seq) close();
    });
  }

  function schedule() {
    var q = query();
    clearTimeout(timer);
    if (q.length < MIN_CHARS) {
      if (controller) controller.abort();
      seq += 1;
      close();
      return;
    }
    timer = setTimeout(function () { load(q); }, DEBOUNCE_MS);
  }

  function openOption(a) {
    if (a && a.href) window.location.assign(a.href);
  }

  input.addEventListener("input", schedule);

  input.addEventListener("keydown", function (ev) {
    var open = !list.hidden;
    switch (ev.key) {
      case "ArrowDown":
        ev.preventDefault();
        if (open) setActive(active + 1); else if (query().length >= MIN_CHARS) load(query());
        break;
      case "ArrowUp":
        if (open) { ev.preventDefault(); setActive(active - 1); }
        break;
      case "Enter":
        if (open && active >= 0) { ev.preventDefault(); openOption(options[active]); }
        break;  // nothing selected: the form submits to /search
      case "Escape":
        if (open) { ev.preventDefault(); close(); }
        break;
      case "Tab":
        close();
        break;
      default:
        break;
    }
  });

  // Keep the focus in the box while clicking the list (no blur before the click lands).
  list.addEventListener("mousedown", function (ev) { ev.preventDefault(); });
  list.addEventListener("click", function (ev) {
    var a = ev.target.closest ? ev.target.closest('a[role="option"]') : null;
    if (!a) return;
    if (ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button === 1) return;
    ev.preventDefault();
    openOption(a);
  });

  input.addEventListener("blur", function () { clearTimeout(timer); close(); });

  // "/" jumps to the search box unless the user is typing somewhere.
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "/" || ev.ctrlKey || ev.metaKey || ev.altKey || ev.defaultPrevented) return;
    var t = ev.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    ev.preventDefault();
    input.focus();
    input.select();
  });
})();
