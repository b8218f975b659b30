// The query page: YASQE editor, example queries, results table, downloads, query in the URL.
// Plain script, no build step. Every request goes to this page's own server (page.endpoint).
(function () {
  "use strict";

  var page = JSON.parse(document.getElementById("page-data").textContent);
  var XSD = "http://www.w3.org/2001/XMLSchema#";
  // problem+json: a malformed query comes back explained, with its line (editor-help.js).
  var ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9, application/problem+json;q=0.1";
  var rootPath = new URL(page.base).pathname;
  var examples = {};
  page.examples.forEach(function (e) { examples[e.name] = e; });

  var form = document.getElementById("query-form");
  var textarea = document.getElementById("query");
  var statusEl = document.getElementById("status");
  var downloadsEl = document.getElementById("downloads");
  var tableWrap = document.getElementById("table-wrap");
  var paramsBox = document.getElementById("parameters");
  var paramInputs = document.getElementById("parameter-inputs");
  var exampleNameEl = document.getElementById("example-name");
  var shareEl = document.getElementById("share");
  var stopEl = document.getElementById("stop");
  var current = null; // the example whose parameters are shown, if any
  var shownExample = null; // the example in the editor, and its text as shown
  var running = null; // AbortController of the query in flight

  // ---- the editor -------------------------------------------------------------------------
  // Only completers that stay in the page: YASQE registers "property" and "class" (one request
  // to lov.linkeddata.es per keystroke) and "prefixes" (which inserts a PREFIX line from its
  // bundled prefix.cc list as soon as an undeclared prefix is typed: schema: → http://schema.org/)
  // in Yasqe.defaults.autocompleters, and the constructor merges our list into that one index by
  // index, so naming fewer completers does not remove them. They are taken out of the registry
  // and the defaults before any editor exists. Our own "kg-prefixes" offers the project's
  // prefixes (the server declares them anyway) after PREFIX, and never inserts on its own.
  // "kg-terms" (editor-help.js) completes prefixed names from our own classes and properties.
  var COMPLETERS = ["variables", "kg-prefixes", "kg-terms"];

  function localOnly(Yasqe) {
    if (window.EditorHelp) window.EditorHelp.register(Yasqe, page);
    Yasqe.forkAutocompleter("prefixes", {
      name: "kg-prefixes",
      persistenceId: null, // no localStorage
      onInitialize: function () {}, // no PREFIX line added behind the user's back
      get: function () {
        return Object.keys(page.prefixes).sort().map(function (prefix) {
          return prefix + ": <" + page.prefixes[prefix] + ">";
        });
      },
    }, false);
    Object.keys(Yasqe.Autocompleters).forEach(function (name) {
      if (COMPLETERS.indexOf(name) < 0) delete Yasqe.Autocompleters[name];
    });
    Yasqe.defaults.autocompleters = [];
    Yasqe.defaults.prefixCcApi = null;
    Yasqe.defaults.requestConfig.endpoint = page.endpoint; // not dbpedia.org, whatever calls it
    Yasqe.defaults.persistenceId = null;
    Yasqe.defaults.createShareableLink = null;
    Yasqe.defaults.consumeShareLink = null;
  }

  var editor = null;
  if (window.Yasqe) {
    localOnly(window.Yasqe);
    var holder = document.createElement("div");
    holder.id = "editor";
    textarea.parentNode.insertBefore(holder, textarea);
    textarea.hidden = true;
    var runKey = function () { run(); };
    editor = new window.Yasqe(holder, {
      value: textarea.value,
      persistenceId: null, // no localStorage: the URL is the only state
      consumeShareLink: null, // the URL is ours (?query=), not YASQE's #hash
      createShareableLink: null,
      showQueryButton: false,
      syntaxErrorCheck: false, // the server explains a malformed query (editor-help.js)
      prefixCcApi: null,
      autocompleters: COMPLETERS.slice(),
      resizeable: true,
      editorHeight: "22rem",
      screenReaderLabel: "SPARQL query",
      requestConfig: { endpoint: page.endpoint, method: "POST" },
      extraKeys: { "Ctrl-Enter": runKey, "Cmd-Enter": runKey },
    });
    editor.on("change", forgetStaleParameters);
    leaveWithEscTab(editor, holder);
  } else {
    textarea.addEventListener("input", forgetStaleParameters);
    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        run();
      }
    });
  }

  // ---- keyboard: Esc then Tab (or Shift+Tab) leaves the editor (issue 9) ----------------------
  // Tab indents inside the editor; after Esc the next Tab is the browser's again (the page
  // says so under the editor). The editor's scroll box is focusable for axe's
  // scrollable-region rule: after Esc, Tab reaches it and the arrow keys scroll it.
  function leaveWithEscTab(cm, box) {
    var escaped = false;
    cm.on("keydown", function (_cm, event) {
      if (event.key === "Escape") { escaped = true; return; }
      // codemirrorIgnore: CodeMirror leaves the key to the browser, which moves the focus.
      if (event.key === "Tab" && escaped) { event.codemirrorIgnore = true; escaped = false; return; }
      if (event.key !== "Shift") escaped = false;
    });
    cm.on("blur", function () { escaped = false; });
    var scroller = box.querySelector(".CodeMirror-scroll");
    if (scroller) {
      scroller.setAttribute("tabindex", "0");
      scroller.setAttribute("aria-label", "The query text, scrollable");
    }
  }

  function getText() { return editor ? editor.getValue() : textarea.value; }

  function setText(text) {
    if (editor) editor.setValue(text);
    textarea.value = text;
  }

  // ---- examples and their parameters ------------------------------------------------------
  function exampleDefault(param) {
    var found = /e\.g\.\s*<([^>]+)>/.exec(param.description);
    return param.required && found ? found[1] : "";
  }

  // An example's parameters bind that example only: once its text is edited, the query is the
  // user's own and runs as written (a VALUES clause the user cannot see must not change it).
  function forgetStaleParameters() {
    if (!shownExample || getText() === shownExample.shownText) return;
    showParameters(null);
    document.querySelectorAll("#examples a.example.selected").forEach(function (a) {
      a.classList.remove("selected");
    });
  }

  function showParameters(example) {
    shownExample = example ? { name: example.name, shownText: getText() } : null;
    current = example && example.parameters.length ? example : null;
    paramInputs.textContent = "";
    paramsBox.hidden = !current;
    exampleNameEl.textContent = example ? "— " + example.name : "";
    if (!current) return;
    current.parameters.forEach(function (p) {
      var row = document.createElement("div");
      row.className = "parameter";
      var label = document.createElement("label");
      label.htmlFor = "param-" + p.name;
      label.textContent = "?" + p.name + " (" + p.type + ", " +
        (p.required ? "required" : "optional") + ")";
      var input = document.createElement("input");
      input.id = "param-" + p.name;
      input.name = "param-" + p.name;
      input.dataset.param = p.name;
      input.dataset.type = p.type;
      input.dataset.required = p.required ? "1" : "";
      input.value = exampleDefault(p);
      input.placeholder = p.type === "iri" ? "https://w3id.org/dhs-ai-kg/id/…" : p.type;
      var help = document.createElement("small");
      help.textContent = p.description;
      row.append(label, input, help);
      paramInputs.appendChild(row);
    });
  }

  function pickExample(name, runIt) {
    var example = examples[name];
    if (!example) return;
    setText(example.text);
    showParameters(example);
    document.querySelectorAll("#examples a.example").forEach(function (a) {
      a.classList.toggle("selected", a.dataset.name === name);
    });
    if (runIt) run();
  }

  document.getElementById("examples").addEventListener("click", function (event) {
    var link = event.target.closest("a.example");
    if (!link) return;
    event.preventDefault();
    pickExample(link.dataset.name, true);
  });

  // A parameter value as an RDF term in SPARQL syntax, or null when it is not one of its type.
  // IRIs are written in full (<…>): a prefixed name is expanded with the project's prefixes and
  // the query's own, so the bound text runs on any store; a character an IRI may not hold
  // (space, <, >, ", {, }, |, ^, `, \) is refused, never passed on. Literals are JSON strings
  // (JSON's escapes are SPARQL's), typed for every type but string, with the lexical forms the
  // server's own binding accepts (named_queries.convert).
  var IRI_CHARS = /^[^\u0000-\u0020<>"{}|^`\\]+$/;
  var LEXICAL = {
    integer: /^[+-]?[0-9]+$/,
    decimal: /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$/,
    date: /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/,
    "boolean": /^(true|false)$/,
  };

  function term(value, type, prefixes) {
    value = value.trim();
    if (type === "term") { // an IRI or a literal, in Turtle syntax
      var literal = /^("(?:[^"\\\n]|\\.)*")(@[A-Za-z]+(?:-[A-Za-z0-9]+)*|\^\^(.+))?$/.exec(value);
      if (literal) {
        if (literal[3] === undefined) return value;
        var datatype = term(literal[3], "iri", prefixes);
        return datatype === null ? null : literal[1] + "^^" + datatype;
      }
      if (/^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(value) || /^(true|false)$/.test(value)) {
        return value;
      }
      return term(value, "iri", prefixes);
    }
    if (type === "iri") {
      var iri = /^<.*>$/.test(value) ? value.slice(1, -1) : value;
      var prefixed = /^([A-Za-z][\w.-]*)?:(.*)$/.exec(iri);
      if (iri === value && prefixed && !/^\/\//.test(prefixed[2]) &&
          Object.prototype.hasOwnProperty.call(prefixes, prefixed[1] || "")) {
        iri = prefixes[prefixed[1] || ""] + prefixed[2];
      } else if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(iri)) {
        return null; // neither an absolute IRI nor a known prefix
      }
      return IRI_CHARS.test(iri) ? "<" + iri + ">" : null;
    }
    var literal = JSON.stringify(value);
    if (type === "string") return literal;
    return LEXICAL[type] && LEXICAL[type].test(value) ? literal + "^^<" + XSD + type + ">" : null;
  }

  // ``text`` with ``value`` written into its ``VALUES ?name { UNDEF }`` line, or null when it has
  // none (NamedQuery.bound_text does the same on the server side).
  function fillValuesLine(text, name, value) {
    var line = new RegExp("^([ \\t]*VALUES[ \\t]+[?$]" + name + "[ \\t]*\\{)[ \\t]*UNDEF[ \\t]*(\\})", "m");
    if (!line.test(text)) return null;
    return text.replace(line, function (whole, open, close) { return open + " " + value + " " + close; });
  }

  // The query to send. An example left as shown runs with its filled-in parameters written into
  // its own `VALUES ?name { UNDEF }` lines (one per parameter, inside the WHERE group: every
  // SPARQL 1.1 store takes them, where Virtuoso refuses a VALUES clause after a CONSTRUCT), and
  // the editor then shows that text: what the user sees, copies and shares is what runs, and it
  // runs as is on any store. An edited text is the user's own and runs as written.
  function queryToRun() {
    forgetStaleParameters();
    var text = getText();
    if (!current) return { text: text };
    var bound = current.text; // the example as loaded, whatever an earlier run wrote into it
    var prefixes = Object.assign({}, page.prefixes, editor ? editor.getPrefixesFromQuery() : {});
    var inputs = paramInputs.querySelectorAll("input");
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      var name = input.dataset.param;
      if (!input.value.trim()) {
        if (input.dataset.required) return { error: "Fill in ?" + name + ": it is required." };
        continue; // UNDEF stays: unbound
      }
      var value = term(input.value, input.dataset.type, prefixes);
      if (value === null) return { error: "?" + name + ": not a valid " + input.dataset.type + "." };
      bound = fillValuesLine(bound, name, value);
      if (bound === null) {
        return { error: "?" + name + " cannot be bound: the query has no 'VALUES ?" + name +
          " { UNDEF }' line." };
      }
    }
    shownExample.shownText = bound; // first: the change event setText fires is ours, not an edit
    if (bound !== text) setText(bound);
    return { text: bound };
  }

  // ---- running ------------------------------------------------------------------------------
  function shareUrl(text) { return rootPath + "query?query=" + encodeURIComponent(text); }

  function downloadUrl(text, format) {
    return page.endpoint + "?query=" + encodeURIComponent(text) + "&format=" + format;
  }

  function setStatus(text, kind) {
    statusEl.textContent = text;
    statusEl.className = "status" + (kind ? " " + kind : "");
  }

  function run(options) {
    var prepared = queryToRun();
    if (prepared.error) {
      setStatus(prepared.error, "error");
      return Promise.resolve();
    }
    var text = prepared.text;
    if (!text.trim()) {
      setStatus("Write a query, or pick an example.", "error");
      return Promise.resolve();
    }
    if (!(options && options.keepUrl)) {
      history.pushState({ query: text }, "", shareUrl(text));
    }
    shareEl.href = shareUrl(text);
    shareEl.hidden = false;
    if (running) running.abort();
    running = new AbortController();
    var controller = running;
    var signal = running.signal;
    var started = performance.now();
    controller.started = started;
    setStatus("Running…", "running");
    downloadsEl.hidden = true;
    if (window.Views) window.Views.clear();
    tableWrap.textContent = "";
    stopEl.hidden = false;
    document.body.dataset.state = "running";
    var body = new URLSearchParams({ query: text });
    return fetch(page.endpoint, {
      method: "POST",
      headers: { Accept: ACCEPT },
      body: body,
      signal: signal,
    }).then(function (response) {
      return response.text().then(function (payload) {
        var ms = Math.round(performance.now() - started);
        if (!response.ok) {
          var problem = /problem\+json/.test(response.headers.get("Content-Type") || "") ? JSON.parse(payload) : null;
          setStatus("Error " + response.status + ": " + (problem ? problem.detail : payload.trim()), "error");
          if (problem && window.EditorHelp) window.EditorHelp.showProblem(editor, problem);
          document.body.dataset.state = "error";
          return;
        }
        var type = (response.headers.get("Content-Type") || "").split(";")[0].trim();
        return showAnswer(type, payload, signal, text).then(function (shown) {
          setStatus(shown.summary + " in " + ms + " ms.", "done");
          showDownloads(text, shown.kind);
          document.body.dataset.state = "done";
        });
      });
    }).catch(function (error) {
      if (error.name === "AbortError") return;
      setStatus("The query could not be sent: " + error.message, "error");
      document.body.dataset.state = "error";
    }).finally(function () {
      if (running === controller) { running = null; stopEl.hidden = true; }
    });
  }

  // ---- Stop: the page stops waiting; the server ends the query at its time limit (issue 9) --
  stopEl.addEventListener("click", function () {
    if (!running) return;
    var ms = Math.round(performance.now() - running.started);
    running.abort();
    running = null;
    stopEl.hidden = true;
    setStatus("Stopped after " + ms + " ms: this page no longer waits for the answer (the server " +
      "gives the query up at its time limit). Edit the query or run another.", "stopped");
    document.body.dataset.state = "stopped";
    document.getElementById("run").focus();
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    run();
  });

  window.addEventListener("popstate", function () {
    var query = new URLSearchParams(location.search).get("query");
    if (query !== null) {
      showParameters(null);
      setText(query);
      run({ keepUrl: true });
    }
  });

  // ---- results --------------------------------------------------------------------------------
  function localHref(iri) {
    return iri.indexOf(page.iri_base) === 0 ? rootPath + iri.slice(page.iri_base.length) : iri;
  }

  // The shortest prefixed form of an IRI (project prefixes, then the query's own), or the IRI.
  function compact(iri) {
    var prefixes = Object.assign({}, page.prefixes, editor ? editor.getPrefixesFromQuery() : {});
    var best = null;
    Object.keys(prefixes).forEach(function (prefix) {
      var ns = prefixes[prefix];
      if (ns && iri.indexOf(ns) === 0 && /^[\w\-.\/]*$/.test(iri.slice(ns.length)) &&
          (!best || ns.length > prefixes[best].length)) {
        best = prefix;
      }
    });
    return best === null ? iri : best + ":" + iri.slice(prefixes[best].length);
  }

  // Only web IRIs become links: a javascript:, data: or any other scheme would run or open
  // something on a click, whatever label the query's own PREFIX gives it.
  function isWebIri(iri) { return /^https?:\/\//i.test(iri); }

  // How answers.js shows terms: prefixed names, links to our pages, the answer's labels.
  function context(labels) {
    return { compact: compact, localHref: localHref, isWebIri: isWebIri, labels: labels, iriBase: page.iri_base,
      termLabels: page.term_labels || {} };
  }

  function showAsk(json) {
    var p = document.createElement("p");
    p.className = "boolean";
    p.id = "ask-answer";
    p.textContent = json.boolean ? "yes (true)" : "no (false)";
    tableWrap.appendChild(p);
    return "ASK answered " + json.boolean;
  }

  // The answer shown, named with the labels of its IRIs (one more query to our endpoint);
  // a promise of its summary and kind.
  function showAnswer(type, payload, signal, text) {
    if (type !== "application/n-triples") {
      var json = JSON.parse(payload);
      if (typeof json.boolean === "boolean") return Promise.resolve({ kind: "results", summary: showAsk(json) });
      var iris = window.Answers.collectIris(window.Answers.selectTerms(json));
      return window.Answers.fetchLabels(page, iris, signal).then(function (labels) {
        var summary = window.Answers.showSelect(tableWrap, json, context(labels));
        offerViews({ form: "select", json: json, ctx: context(labels), text: text });
        return { kind: "results", summary: summary };
      });
    }
    var triples = parseTriples(payload);
    var terms = window.Answers.collectIris(window.Answers.tripleTerms(triples));
    return window.Answers.fetchLabels(page, terms, signal).then(function (labels) {
      var summary = window.Answers.showGraph(tableWrap, triples, context(labels));
      offerViews({ form: "triples", triples: triples, ctx: context(labels), text: text });
      return { kind: "graph", summary: summary };
    });
  }

  // Graph and bar chart views beside the table (views.js), where they fit the answer.
  function offerViews(answer) { if (window.Views) window.Views.offer(answer); }

  // N-Triples (what the endpoint sends for CONSTRUCT/DESCRIBE here) to s/p/o rows.
  var NT_TERM = /^(<[^>]*>|_:\S+|"(?:[^"\\]|\\.)*"(?:@[A-Za-z0-9-]+|\^\^<[^>]*>)?)\s*/;

  function ntTerm(token) {
    if (token[0] === "<") return { type: "uri", value: token.slice(1, -1) };
    if (token[0] === "_") return { type: "bnode", value: token.slice(2) };
    var end = token.lastIndexOf('"');
    var value = JSON.parse(token.slice(0, end + 1));
    var rest = token.slice(end + 1);
    var out = { type: "literal", value: value };
    if (rest[0] === "@") out["xml:lang"] = rest.slice(1);
    if (rest.slice(0, 2) === "^^") out.datatype = rest.slice(3, -1);
    return out;
  }

  function parseTriples(text) {
    var rows = [];
    text.split("\n").forEach(function (line) {
      line = line.trim();
      if (!line || line[0] === "#") return;
      var terms = [];
      for (var i = 0; i < 3; i++) {
        var found = NT_TERM.exec(line);
        if (!found) return;
        terms.push(ntTerm(found[1]));
        line = line.slice(found[0].length);
      }
      rows.push({ subject: terms[0], predicate: terms[1], object: terms[2] });
    });
    return rows;
  }

  function showDownloads(text, kind) {
    downloadsEl.textContent = "Download: ";
    page.formats[kind].forEach(function (f, i) {
      if (i) downloadsEl.appendChild(document.createTextNode(" · "));
      var a = document.createElement("a");
      a.href = downloadUrl(text, f.name);
      a.textContent = f.label;
      a.title = f.media_type;
      a.dataset.format = f.name;
      a.setAttribute("download", "");
      downloadsEl.appendChild(a);
    });
    // A SELECT's rows for spreadsheet software (server: spreadsheet.py); not for ASK.
    if (kind === "results" && !document.getElementById("ask-answer")) {
      var sheet = document.createElement("a");
      sheet.href = "/spreadsheet.csv?query=" + encodeURIComponent(text);
      sheet.textContent = "Spreadsheet (CSV)";
      sheet.title = "UTF-8 CSV for Excel, LibreOffice, Numbers";
      sheet.dataset.format = "spreadsheet";
      sheet.setAttribute("download", "");
      downloadsEl.appendChild(document.createTextNode(" · "));
      downloadsEl.appendChild(sheet);
    }
    downloadsEl.hidden = false;
  }

  // ---- start: ?query= runs that query, ?example= picks an example ----------------------------
  var params = new URLSearchParams(location.search);
  window.QueryPage = { text: getText }; // for share.js: the query as the editor holds it
  if (params.get("query") || page.run) { // page.run: a short link (/q/<key>) opened
    run({ keepUrl: true });
  } else if (params.get("example") && examples[params.get("example")]) {
    pickExample(params.get("example"), true);
  }
  document.body.dataset.ready = "1";
})();
