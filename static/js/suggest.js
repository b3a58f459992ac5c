// Search-as-you-type for inputs marked data-suggest-url (WAI-ARIA combobox with a listbox).
// Progressive enhancement: without this script the search forms work as plain GET forms.
(function () {
  "use strict";

  var MIN_LENGTH = 2;
  var DELAY_MS = 150;
  var counter = 0;

  function setup(input) {
    var url = input.getAttribute("data-suggest-url");
    var form = input.form;
    var list = document.createElement("ul");
    var listId = "suggest-list-" + (++counter);
    var options = [];
    var active = -1;
    var timer = null;
    var controller = null;
    var lastQuery = null;

    list.id = listId;
    list.className = "suggest-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", input.dataset.suggestLabel || "Suggestions");
    list.hidden = true;
    input.insertAdjacentElement("afterend", list);
    if (form) { form.classList.add("suggest-host"); }

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("autocomplete", "off");

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      options.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function render(suggestions) {
      list.textContent = "";
      options = suggestions.map(function (s, i) {
        var li = document.createElement("li");
        li.id = listId + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.className = "suggest-option";
        li.dataset.url = s.url;
        var label = document.createElement("span");
        label.className = "suggest-label";
        label.textContent = s.label;
        var kind = document.createElement("span");
        kind.className = "suggest-type";
        kind.textContent = s.type_label;
        li.appendChild(label);
        li.appendChild(kind);
        li.addEventListener("mousedown", function (event) {
          event.preventDefault();  // keep focus in the input until we navigate
          window.location.assign(s.url);
        });
        list.appendChild(li);
        return li;
      });
      active = -1;
      if (options.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      } else {
        close();
      }
    }

    function fetchSuggestions() {
      var q = input.value.trim();
      if (q.length < MIN_LENGTH) { close(); lastQuery = null; return; }
      if (q === lastQuery) { return; }
      lastQuery = q;
      if (controller) { controller.abort(); }
      controller = new AbortController();
      fetch(url + "?q=" + encodeURIComponent(q), {
        headers: { "Accept": "application/json" },
        signal: controller.signal
      })
        .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
        .then(function (data) {
          if (input.value.trim() === q) { render(data.suggestions || []); }
        })
        .catch(function () { /* offline or aborted: the form still works */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, DELAY_MS);
    });

    input.addEventListener("keydown", function (event) {
      if (list.hidden || !options.length) {
        if (event.key === "ArrowDown" && input.value.trim().length >= MIN_LENGTH) {
          lastQuery = null;
          fetchSuggestions();
        }
        return;
      }
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight((active + 1) % options.length);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(active <= 0 ? options.length - 1 : active - 1);
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        window.location.assign(options[active].dataset.url);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });

    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  document.querySelectorAll("input[data-suggest-url]").forEach(setup);
})();
