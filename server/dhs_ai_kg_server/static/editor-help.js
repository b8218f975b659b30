// The query editor's help (issue 9): completion of prefixed names from our own classes and
// properties (served by /query/terms.json, never a third party), and a malformed query's
// explanation (the server's 400 as application/problem+json) shown in words and on its line.
// Plain script, loaded before query.js, which calls register() and showProblem().
(function () {
  "use strict";

  var terms = null; // promise of {prefixes, terms}, fetched once from our own server

  function loadTerms(page) {
    if (!terms) {
      terms = fetch(new URL("query/terms.json", page.base).href, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { prefixes: {}, terms: [] }; })
        .catch(function () { return { prefixes: {}, terms: [] }; });
    }
    return terms;
  }

  // The names a term goes by: its prefixed name under each prefix the query or the server
  // declares for its namespace.
  function namesOf(term, prefixes) {
    var names = [];
    Object.keys(prefixes).forEach(function (p) {
      var ns = prefixes[p];
      if (ns && term.iri.indexOf(ns) === 0 && term.iri.length > ns.length) {
        names.push(p + ":" + term.iri.slice(ns.length));
      }
    });
    return names;
  }

  var labels = {}; // prefixed name → {label, kind} of the last suggestions

  function register(Yasqe, page) {
    Yasqe.registerAutocompleter({
      name: "kg-terms",
      bulk: false,
      autoShow: true,
      persistenceId: null,
      isValidCompletionPosition: function (yasqe) {
        var token = yasqe.getCompleteToken();
        var text = token.string || "";
        if (!/^[A-Za-z][\w.-]*:[\w-]*$|^:[\w-]*$/.test(text)) return false;
        var cursor = yasqe.getDoc().getCursor();
        var before = yasqe.getPreviousNonWsToken(cursor.line, token);
        return !(before && before.string && before.string.toUpperCase() === "PREFIX");
      },
      preProcessToken: function (yasqe, token) {
        token.autocompletionString = token.string.trim();
        return token;
      },
      get: function (yasqe, token) {
        var typed = (token && token.autocompletionString) || "";
        return loadTerms(page).then(function (data) {
          var prefixes = Object.assign({}, data.prefixes, yasqe.getPrefixesFromQuery());
          var found = [];
          labels = {};
          data.terms.forEach(function (term) {
            namesOf(term, prefixes).forEach(function (name) {
              if (name.indexOf(typed) === 0 && !labels[name] && found.length < 60) {
                labels[name] = term;
                found.push(name);
              }
            });
          });
          return found;
        });
      },
      postprocessHints: function (yasqe, hints) {
        hints.forEach(function (hint) {
          var term = labels[hint.text];
          if (!term) return;
          hint.render = function (element) {
            var name = document.createElement("span");
            name.className = "kg-term-name";
            name.textContent = hint.text;
            var label = document.createElement("span");
            label.className = "kg-term-label";
            label.textContent = (term.label ? " " + term.label : "") + " (" + term.kind + ")";
            element.append(name, label);
          };
        });
        return hints;
      },
    }, false);
  }

  // ---- a malformed query, shown --------------------------------------------------------------
  var shown = null; // what showProblem put in the editor, to take out again

  function clear() {
    if (!shown) return;
    var s = shown;
    shown = null;
    s.mark.clear();
    s.editor.removeLineClass(s.line, "background", "kg-problem-line");
    s.editor.setGutterMarker(s.line, "gutterErrorBar", null);
    s.editor.off("change", clear);
    s.box.hidden = true;
    s.box.textContent = "";
  }

  function problemBox(editor) {
    var box = document.getElementById("query-problem");
    if (!box) {
      box = document.createElement("div");
      box.id = "query-problem";
      box.className = "query-problem";
      box.setAttribute("role", "alert");
      var wrapper = editor.getWrapperElement().closest("#editor") || editor.getWrapperElement();
      wrapper.parentNode.insertBefore(box, wrapper.nextSibling);
    }
    return box;
  }

  // Show ``problem`` (the server's problem details) under the editor and on its line.
  function showProblem(editor, problem) {
    clear();
    if (!editor) return;
    var box = problemBox(editor);
    var line = Math.max(0, Math.min(problem.line - 1, editor.lineCount() - 1));
    var ch = Math.max(0, problem.column - 1);
    var length = Math.max(1, problem.length || 1);
    var where = document.createElement("p");
    where.className = "kg-problem-words";
    var strong = document.createElement("strong");
    strong.textContent = "Line " + problem.line + ", column " + problem.column + ": ";
    where.append(strong, document.createTextNode(problem.detail + " "));
    var go = document.createElement("button");
    go.type = "button";
    go.id = "go-to-problem";
    go.textContent = "Go to line " + problem.line;
    go.addEventListener("click", function () { focusAt(editor, line, ch); });
    where.appendChild(go);
    var details = document.createElement("details");
    var summary = document.createElement("summary");
    summary.textContent = "What the parser said";
    var pre = document.createElement("pre");
    pre.textContent = problem.parser;
    details.append(summary, pre);
    box.textContent = "";
    box.append(where, details);
    box.hidden = false;
    var marker = document.createElement("span");
    marker.className = "kg-problem-gutter";
    marker.textContent = "!";
    marker.title = problem.detail;
    editor.setGutterMarker(line, "gutterErrorBar", marker);
    editor.addLineClass(line, "background", "kg-problem-line");
    var mark = editor.markText({ line: line, ch: ch }, { line: line, ch: ch + length }, {
      className: "kg-problem-mark",
      attributes: { title: problem.detail },
    });
    shown = { editor: editor, line: line, mark: mark, box: box };
    editor.on("change", clear);
    // The cursor goes to the mistake; the focus follows only from the form (Ctrl+Enter, Run),
    // never on a page that opened with ?query=: the skip link stays the first tab stop.
    var fromForm = document.activeElement && document.activeElement.closest("#query-form");
    focusAt(editor, line, ch, !!fromForm);
  }

  function focusAt(editor, line, ch, focus) {
    if (focus !== false) editor.focus();
    editor.getDoc().setCursor({ line: line, ch: ch });
    editor.scrollIntoView({ line: line, ch: ch }, 60);
  }

  window.EditorHelp = { register: register, showProblem: showProblem, clear: clear };
})();
