// The label search box in every page's header (and on the front page): as you type, our own
// /search answers with matching labels (JSON); the suggestions are links to their pages.
// Up/Down move through them, Enter opens the one chosen, Escape closes the list. Without
// script the form still submits to /search, which answers with a results page.
(function () {
  "use strict";

  var DELAY = 120; // ms after the last keystroke before asking
  var MIN_CHARS = 2;

  function setUp(form) {
    var input = form.querySelector("input[name=q]");
    var list = form.querySelector(".search-suggestions");
    if (!input || !list) return;
    var timer = null;
    var pending = null; // AbortController of the request in flight
    var active = -1;
    var asked = "";

    function options() { return list.querySelectorAll("[role=option]"); }

    function close() {
      list.hidden = true;
      list.textContent = "";
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var all = options();
      if (!all.length) return;
      active = (index + all.length) % all.length;
      all.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({ block: "nearest" });
    }

    function show(text, results) {
      list.textContent = "";
      active = -1;
      results.forEach(function (result, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        var a = document.createElement("a");
        a.href = result.href;
        a.textContent = result.label;
        a.tabIndex = -1; // reached with the arrow keys from the box, as a combobox's options
        li.appendChild(a);
        list.appendChild(li);
      });
      if (!results.length) {
        var none = document.createElement("li");
        none.className = "none";
        none.textContent = "No label contains “" + text + "”.";
        list.appendChild(none);
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", results.length ? "true" : "false");
    }

    function ask() {
      var text = input.value.trim();
      if (text.length < MIN_CHARS) { close(); asked = ""; return; }
      if (text === asked) return;
      asked = text;
      if (pending) pending.abort();
      pending = new AbortController();
      var url = form.getAttribute("action") + "?" + new URLSearchParams({ q: text });
      fetch(url, { headers: { Accept: "application/json" }, signal: pending.signal })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (answer) {
          if (input.value.trim() === text) show(text, answer.results || []);
        })
        .catch(function (error) { if (error.name !== "AbortError") close(); });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, DELAY);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (list.hidden) { asked = ""; ask(); return; }
        event.preventDefault();
        highlight(active + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter" && active >= 0 && !list.hidden) {
        event.preventDefault();
        location.href = options()[active].querySelector("a").href;
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
      }
    });
    form.addEventListener("focusout", function (event) {
      if (!form.contains(event.relatedTarget)) close();
    });
  }

  document.querySelectorAll("form.site-search").forEach(setUp);
})();
