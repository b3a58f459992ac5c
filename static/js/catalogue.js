// The catalogue on any screen: the filters panel, the compare tray and "Add to inquiry" without
// leaving the page. Every part is an enhancement: without this script the filters open with
// their button, the compare form submits the ticked boxes and "Add to inquiry" posts the form.
(function () {
  "use strict";

  // The filters panel is folded on phones (the products come first) and open on wide screens.
  function filtersPanel() {
    var panel = document.getElementById("filters");
    if (!panel || panel.open) return;
    var wide = window.matchMedia("(min-width: 992px)");
    panel.open = wide.matches;
  }

  // The compare tray: how many products are ticked, shown once one is.
  function compareTray() {
    var form = document.getElementById("compare-form");
    if (!form) return;
    var note = document.getElementById("compare-note");
    var button = document.getElementById("compare-button");
    var boxes = document.querySelectorAll('input[type="checkbox"][form="compare-form"]');

    // The texts come from the form's data-text-* attributes, in the page's language.
    function text(name, count) {
      return form.dataset["text" + name.charAt(0).toUpperCase() + name.slice(1)].replace("{n}", String(count));
    }

    function update() {
      var ticked = 0;
      boxes.forEach(function (box) { if (box.checked) ticked += 1; });
      form.classList.toggle("is-empty", ticked === 0);
      button.textContent = text("button", ticked);
      if (ticked < 2) note.textContent = text("oneMore", ticked);
      else if (ticked > 4) note.textContent = text("tooMany", ticked);
      else note.textContent = text("ticked", ticked);
    }

    form.classList.add("is-counting");
    boxes.forEach(function (box) { box.addEventListener("change", update); });
    update();
  }

  // One status line for the page, read out by screen readers and gone after a few seconds.
  var statusTimer = null;
  function announce(message, warning) {
    var status = document.getElementById("page-status");
    if (!status) return;
    status.textContent = message;
    status.classList.toggle("is-warning", Boolean(warning));
    clearTimeout(statusTimer);
    statusTimer = setTimeout(function () { status.textContent = ""; }, 5000);
  }

  // "Add to inquiry": post the same form with fetch and stay where the visitor is.
  function basketForms() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.classList || !form.classList.contains("basket-form")) return;
      if (!window.fetch || !window.FormData) return;
      event.preventDefault();
      var button = form.querySelector('button[type="submit"]');
      if (button) button.disabled = true;
      fetch(form.action, {
        method: "POST",
        body: new FormData(form), // carries the form's CSRF token
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) {
          var type = response.headers.get("Content-Type") || "";
          if (type.indexOf("application/json") === -1) throw new Error("not JSON");
          // 409: the basket is full; the answer says why.
          return response.json().then(function (answer) {
            var count = document.getElementById("basket-count");
            if (count) count.textContent = String(answer.count);
            announce(answer.message, response.status === 409);
            if (button) button.disabled = false;
          });
        })
        .catch(function () {
          // Anything unexpected (an expired form, a server error): the plain form post instead.
          form.submit();
        });
    });
  }

  function start() {
    filtersPanel();
    compareTray();
    basketForms();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
