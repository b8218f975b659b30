// Sharing on the query page (issue 9): a short /q/<key> link made by our own server, and the
// query as curl, Python (requests, SPARQLWrapper) and JavaScript (fetch) code pointed at this
// server's /sparql. Plain script; every request goes to this page's own server.
(function () {
  "use strict";

  var page = JSON.parse(document.getElementById("page-data").textContent);
  var tools = document.getElementById("share-tools");
  if (!tools || !window.QueryPage) return;
  var shortButton = document.getElementById("share-short");
  var shortBox = document.getElementById("short-link");
  var shortUrl = document.getElementById("short-link-url");
  var shortCopy = document.getElementById("short-link-copy");
  var statusEl = document.getElementById("share-status");
  var codeButton = document.getElementById("show-code");
  var codeBox = document.getElementById("code-box");
  var codeLang = document.getElementById("code-lang");
  var codeCopy = document.getElementById("code-copy");
  var codeText = document.querySelector("#code-text code");
  var shareEndpoint = new URL("q", page.base).href;
  tools.hidden = false;

  function say(text) { statusEl.textContent = text; }

  // ---- copying --------------------------------------------------------------------------------
  // The Clipboard API where the browser allows it; else the text is selected for Ctrl+C.
  function copy(text, select, done) {
    function fallback() {
      select();
      say("Press Ctrl+C (or ⌘C) to copy the selected " + done + ".");
    }
    if (!navigator.clipboard || !window.isSecureContext) { fallback(); return; }
    navigator.clipboard.writeText(text).then(function () {
      say("Copied the " + done + ".");
    }, fallback);
  }

  function selectContents(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  // ---- the short link -------------------------------------------------------------------------
  shortButton.addEventListener("click", function () {
    var text = window.QueryPage.text();
    if (!text.trim()) { say("Write a query first."); return; }
    say("Making a short link…");
    fetch(shareEndpoint, {
      method: "POST",
      headers: { Accept: "application/json" },
      body: new URLSearchParams({ query: text }),
      credentials: "omit",
    }).then(function (response) {
      if (response.ok) return response.json().then(showShortLink);
      return response.text().then(function (message) {
        shortBox.hidden = true;
        say("No short link: " + message.trim().replace(/^\d+ /, "") +
          ". The link \u201cLink to this query\u201d (after a run) holds the whole query.");
      });
    }).catch(function (error) {
      say("No short link: " + error.message);
    });
  });

  function showShortLink(answer) {
    shortUrl.value = answer.url;
    shortBox.hidden = false;
    shortBox.dataset.key = answer.key;
    say("Short link ready: anyone with it opens this query.");
    shortUrl.focus();
    shortUrl.select();
  }

  shortCopy.addEventListener("click", function () {
    copy(shortUrl.value, function () { shortUrl.focus(); shortUrl.select(); }, "link");
  });

  // ---- the code box -----------------------------------------------------------------------------
  // The query's form (SELECT, ASK, CONSTRUCT, DESCRIBE), read past IRIs, strings and comments.
  function queryForm(text) {
    var bare = text
      .replace(/<[^<>"{}|^`\\\s]*>/g, " ")
      .replace(/"""[\s\S]*?"""|'''[\s\S]*?'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, " ")
      .replace(/#[^\n]*/g, " ");
    var found = /\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b/i.exec(bare);
    return found ? found[1].toUpperCase() : "SELECT";
  }

  function isGraph(form) { return form === "CONSTRUCT" || form === "DESCRIBE"; }

  var CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f\u2028\u2029]/;

  // A Python string literal of ``text``: triple-quoted when that needs no escape, else JSON's
  // (every JSON string is a Python string literal).
  function pyString(text) {
    if (text.indexOf("\\") < 0 && text.indexOf('"""') < 0 && text.slice(-1) !== '"' &&
        !CONTROL.test(text)) {
      return '"""' + text + '"""';
    }
    return JSON.stringify(text);
  }

  // A JavaScript string literal of ``text``: a template literal when that needs no escape.
  function jsString(text) {
    if (text.indexOf("\\") < 0 && text.indexOf("`") < 0 && text.indexOf("${") < 0 &&
        !CONTROL.test(text)) {
      return "`" + text + "`";
    }
    return JSON.stringify(text);
  }

  // A POSIX shell word of ``text``: single-quoted, each ' written as '\''.
  function shWord(text) { return "'" + text.replace(/'/g, "'\\''") + "'"; }

  var SNIPPETS = {
    curl: function (q, url, form) {
      var accept = isGraph(form) ? "text/turtle" : "application/sparql-results+json";
      return [
        "curl -sS --fail-with-body \\",
        "  -H " + shWord("Accept: " + accept) + " \\",
        "  --data-urlencode " + shWord("query=" + q) + " \\",
        "  " + shWord(url),
      ].join("\n");
    },
    requests: function (q, url, form) {
      var accept = isGraph(form) ? "text/turtle" : "application/sparql-results+json";
      return [
        "import requests",
        "",
        "query = " + pyString(q),
        "",
        "response = requests.post(",
        "    " + JSON.stringify(url) + ",",
        '    data={"query": query},',
        '    headers={"Accept": "' + accept + '"},',
        "    timeout=60,",
        ")",
        "response.raise_for_status()",
        "print(response.text)",
      ].join("\n");
    },
    sparqlwrapper: function (q, url, form) {
      var graph = isGraph(form);
      return [
        graph ? "from SPARQLWrapper import POST, TURTLE, SPARQLWrapper" :
          "import json\n\nfrom SPARQLWrapper import JSON, POST, SPARQLWrapper",
        "",
        "query = " + pyString(q),
        "",
        "sparql = SPARQLWrapper(" + JSON.stringify(url) + ")",
        "sparql.setMethod(POST)",
        "sparql.setOnlyConneg(True)",
        "sparql.setQuery(query)",
        "sparql.setReturnFormat(" + (graph ? "TURTLE" : "JSON") + ")",
        graph ? "print(sparql.queryAndConvert().decode(\"utf-8\"))" :
          "print(json.dumps(sparql.queryAndConvert(), indent=2))",
      ].join("\n");
    },
    fetch: function (q, url, form) {
      var graph = isGraph(form);
      return [
        "const query = " + jsString(q) + ";",
        "",
        "fetch(" + JSON.stringify(url) + ", {",
        '  method: "POST",',
        '  headers: { Accept: "' + (graph ? "text/turtle" : "application/sparql-results+json") + '" },',
        "  body: new URLSearchParams({ query }),",
        "})",
        "  .then((response) => {",
        "    if (!response.ok) throw new Error(`HTTP ${response.status}`);",
        "    return response." + (graph ? "text()" : "json()") + ";",
        "  })",
        "  .then((answer) => console.log(" +
          (graph ? "answer" : "JSON.stringify(answer, null, 2)") + "));",
      ].join("\n");
    },
  };

  function refreshCode() {
    if (codeBox.hidden) return;
    var text = window.QueryPage.text();
    codeText.textContent = SNIPPETS[codeLang.value](text, page.endpoint, queryForm(text));
    codeText.parentNode.dataset.lang = codeLang.value;
  }

  function setCodeOpen(open) {
    codeBox.hidden = !open;
    codeButton.setAttribute("aria-expanded", open ? "true" : "false");
    refreshCode();
  }

  codeButton.addEventListener("click", function () { setCodeOpen(codeBox.hidden); });
  codeLang.addEventListener("change", refreshCode);
  codeCopy.addEventListener("click", function () {
    copy(codeText.textContent, function () { selectContents(codeText); }, "code");
  });

  // The code follows the editor: typing in it, and every run (which may bind parameters).
  var pending = null;
  document.getElementById("query-form").addEventListener("input", function (event) {
    if (!tools.contains(event.target)) shortBox.hidden = true; // the link was for the old text
    clearTimeout(pending);
    pending = setTimeout(refreshCode, 200);
  });
  new MutationObserver(refreshCode).observe(document.body, {
    attributes: true, attributeFilter: ["data-state"],
  });

  if (location.hash === "#code") setCodeOpen(true);
  window.Share = { snippets: SNIPPETS, queryForm: queryForm };
})();
