// CRM Lite: edit the company card's information box and notes in place.
// Without JavaScript the "Edit" links open /companies/<id>/edit as a page; with it the box is swapped
// for the same form (fetched with the X-CRM-Fragment header), saved with fetch, and swapped back.
(function () {
  "use strict";
  var HEADERS = { "X-CRM-Fragment": "1" };
  var before = null; // the boxes as they were when the form opened (for Cancel)
  var tried = false; // a save was refused: on Cancel the boxes are read again (they may have changed)

  function parse(html) {
    var t = document.createElement("template");
    t.innerHTML = html;
    return t.content;
  }

  function focusHeading(box) {
    var h = box && box.querySelector("h2");
    if (h) {
      h.setAttribute("tabindex", "-1");
      h.focus();
    }
  }

  function replaceBoxes(fragment) {
    var last = null;
    ["info", "terms"].forEach(function (id) {
      var fresh = fragment.querySelector("section#" + id);
      var old = document.getElementById(id);
      if (fresh && old) {
        old.replaceWith(fresh);
        last = last || fresh;
      }
    });
    return last;
  }

  function showForm(fragment) {
    var form = fragment.querySelector("section#info");
    var box = document.getElementById("info");
    if (!form || !box) return false;
    box.replaceWith(form);
    // A refused save: the first marked field, or the heading above the conflict box; else the first field.
    var invalid = form.querySelector("[aria-invalid=true]");
    var first = form.querySelector("textarea, input:not([type=hidden]), select");
    if (invalid) invalid.focus();
    else if (form.querySelector(".conflict, .form-message")) focusHeading(form);
    else if (first) first.focus();
    return true;
  }

  function message(form, text) {
    var p = form.parentNode.querySelector(".form-message.js-message");
    if (!p) {
      p = document.createElement("p");
      p.className = "form-message js-message";
      p.setAttribute("role", "alert");
      form.parentNode.insertBefore(p, form);
    }
    p.textContent = text;
  }

  function open(link) {
    var box = document.getElementById("info");
    if (!box) return;
    before = { info: box, terms: document.getElementById("terms") };
    tried = false;
    fetch(link.href, { headers: HEADERS, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.text();
      })
      .then(function (html) {
        if (!showForm(parse(html))) window.location.href = link.href;
      })
      .catch(function () { window.location.href = link.href; });
  }

  function save(form) {
    var box = form.closest("section");
    if (box) box.classList.add("form-busy");
    tried = true;
    fetch(form.action, { method: "POST", body: new FormData(form), headers: HEADERS, credentials: "same-origin" })
      .then(function (r) {
        return r.text().then(function (html) { return { ok: r.ok, redirected: r.redirected, html: html }; });
      })
      .then(function (res) {
        var fragment = parse(res.html);
        if (res.ok && fragment.querySelector("section#info:not([data-edit-box])")) {
          before = null;
          focusHeading(replaceBoxes(fragment));
        } else if (!showForm(fragment)) {
          throw new Error("unexpected answer");
        }
      })
      .catch(function () {
        if (box) box.classList.remove("form-busy");
        message(form, form.getAttribute("data-msg-offline") || "");
      });
  }

  function cancel(link) {
    var form = document.getElementById("info");
    if (!before || !form) return false;
    form.replaceWith(before.info);
    focusHeading(before.info);
    before = null;
    var url = link.getAttribute("data-boxes-url");
    if (tried && url) {
      fetch(url, { headers: HEADERS, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) { replaceBoxes(parse(html)); })
        .catch(function () { /* the restored box stays; a reload shows the latest */ });
    }
    return true;
  }

  document.addEventListener("click", function (ev) {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    var edit = ev.target.closest("a[data-edit-inplace]");
    if (edit) {
      ev.preventDefault();
      open(edit);
      return;
    }
    var back = ev.target.closest("a[data-edit-cancel]");
    if (back && document.querySelector(".card-page.company-card") && cancel(back)) ev.preventDefault();
  });

  document.addEventListener("submit", function (ev) {
    var form = ev.target.closest("form[data-edit-form]");
    if (!form || !document.querySelector(".card-page.company-card")) return;
    ev.preventDefault();
    save(form);
  });
})();
