// More views than a table (issue 9): a graph (Cytoscape.js, vendored) for CONSTRUCT/DESCRIBE
// answers and for SELECTs of IRIs, a bar chart (inline SVG) for counts. Chosen automatically
// where they fit, or by a `#defaultView:Graph|BarChart|Table` comment in the query (as on WDQS);
// switchable by tabs above the answer, the table always one of them. Plain script, no build
// step; query.js calls window.Views. Nothing here makes a request.
(function () {
  "use strict";

  var RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
  var XSD = "http://www.w3.org/2001/XMLSchema#";
  var ID_PATH = "/id/";
  // Properties whose literal names its subject: the node's label, not a node of its own.
  var LABEL_PROPERTIES = [
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "https://schema.org/name",
    "http://xmlns.com/foaf/0.1/name",
    "http://purl.org/dc/terms/title",
  ];
  var NUMERIC = /^(integer|decimal|double|float|int|long|short|byte|nonNegativeInteger|nonPositiveInteger|positiveInteger|negativeInteger|unsigned(Int|Long|Short|Byte))$/;
  var PROPERTY_VAR = /^(p|pred|predicate|prop|property)$/i;
  var NAMES = { table: "Table", graph: "Graph", bar: "Bar chart" };
  var FORCED = { table: "table", graph: "graph", barchart: "bar" };
  var MAX_NODES = 250;
  // Fill colours of node kinds (all at least 3:1 against white, WCAG 1.4.11).
  var PALETTE = ["#0b5cad", "#b5361c", "#2f7d32", "#7a3e9d", "#a15c00", "#00707a", "#a3246b",
    "#4f5b66", "#5a6e00", "#3949ab", "#8d4f2b", "#00695c"];
  var numbers = new Intl.NumberFormat("en-US", { maximumFractionDigits: 6 });

  var tabs = null; // the tablist
  var note = null; // why this view was chosen
  var panels = {}; // view name → panel element
  var shown = null; // {answer, offered, view, drawn}
  var cy = null;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function svg(tag, attrs, text) {
    var node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function clip(text, n) { return text.length > n ? text.slice(0, n - 1) + "…" : text; }

  // ---- what an answer holds --------------------------------------------------------------
  function key(v) { return v ? [v.type, v.value, v.datatype || "", v["xml:lang"] || ""].join("\u0001") : ""; }

  function isNumber(v) {
    return !!v && v.type === "literal" && !!v.datatype && v.datatype.indexOf(XSD) === 0 &&
      NUMERIC.test(v.datatype.slice(XSD.length)) && v.value.trim() !== "" && isFinite(Number(v.value));
  }

  // Each variable of a SELECT answer: whether it holds IRIs only, numbers only (in every row),
  // and whether it is the same in every row.
  function columns(json) {
    var rows = json.results.bindings;
    return json.head.vars.map(function (name) {
      var bound = rows.filter(function (r) { return r[name]; });
      var first = key(rows[0] && rows[0][name]);
      return {
        name: name,
        iri: bound.length > 0 && bound.every(function (r) { return r[name].type === "uri"; }),
        number: rows.length > 0 && bound.length === rows.length && bound.every(function (r) { return isNumber(r[name]); }),
        constant: rows.length > 1 && rows.every(function (r) { return key(r[name]) === first; }),
      };
    });
  }

  function names(cols) { return cols.map(function (c) { return "?" + c.name; }).join(", "); }

  // {offered: [views], auto: view, why: reason} for an answer. The rules (docs/decisions.md,
  // "Views of an answer"): triples → graph; a SELECT whose varying columns are all IRIs, two or
  // three of them (an edge list, or subject–property–object) → graph; a SELECT with one numeric
  // column, not negative, beside one or two other varying columns → bar chart; else the table.
  function fit(answer) {
    if (answer.form === "triples") {
      if (!answer.triples.length) return { offered: ["table"], auto: "table", why: "" };
      if (!window.cytoscape) return { offered: ["table"], auto: "table", why: "" };
      return { offered: ["graph", "table"], auto: "graph", why: "the answer is triples (CONSTRUCT or DESCRIBE)" };
    }
    var rows = answer.json.results.bindings;
    if (!rows.length) return { offered: ["table"], auto: "table", why: "" };
    var cols = columns(answer.json);
    var varying = cols.filter(function (c) { return !c.constant; });
    if (!varying.length) varying = cols;
    var iris = window.cytoscape ? varying.filter(function (c) { return c.iri; }) : [];
    var nums = varying.filter(function (c) { return c.number; });
    var offered = [];
    var auto = null;
    var why = "";
    if (iris.length) offered.push("graph");
    var barColumn = nums.filter(function (c) {
      return rows.every(function (r) { return Number(r[c.name].value) >= 0; });
    })[0];
    if (barColumn) offered.push("bar");
    offered.push("table");
    if (rows.length > 1 && iris.length === varying.length && iris.length >= 2 && iris.length <= 3) {
      auto = "graph";
      why = "every column that varies holds IRIs (" + names(iris) + ")";
    } else if (rows.length > 1 && barColumn && nums.length === 1 && varying.length - 1 >= 1 && varying.length - 1 <= 2) {
      auto = "bar";
      why = "one numeric column (?" + barColumn.name + ") beside " +
        names(varying.filter(function (c) { return c !== barColumn; }));
    }
    return { offered: offered, auto: auto || "table", why: why, cols: cols, varying: varying, iris: iris, barColumn: barColumn };
  }

  // The view a `#defaultView:Name` comment asks for (null: none; undefined: an unknown name).
  function forced(text) {
    var found = /^\s*#\s*defaultView\s*:\s*([A-Za-z]+)/m.exec(text || "");
    if (!found) return null;
    return FORCED[found[1].toLowerCase()];
  }

  // ---- the graph ----------------------------------------------------------------------------
  function kindOf(term, types, ctx) {
    if (term.type === "literal") return "value";
    if (term.type === "bnode") return "blank node";
    var at = term.value.indexOf(ID_PATH);
    if (term.value.indexOf(ctx.iriBase) === 0 && at >= 0) {
      return term.value.slice(at + ID_PATH.length).split("/")[0] || "resource";
    }
    var type = types[term.value];
    if (type) return ctx.labels[type] || ctx.termLabels[type] || ctx.compact(type);
    return "other";
  }

  function labelOf(term, ctx, names) {
    if (term.type === "uri") return ctx.labels[term.value] || names[term.value] || ctx.termLabels[term.value] || ctx.compact(term.value);
    if (term.type === "bnode") return "_:" + term.value;
    return term.value;
  }

  // {nodes, edges} from triples or a SELECT's IRI columns.
  function graphOf(answer, info, ctx) {
    var nodes = {};
    var order = [];
    var edges = [];
    var types = {};
    var names = {};
    var triples = [];
    if (answer.form === "triples") {
      answer.triples.forEach(function (t) {
        if (t.predicate.value === RDF + "type" && t.object.type === "uri" && !types[t.subject.value]) {
          types[t.subject.value] = t.object.value;
        }
        if (LABEL_PROPERTIES.indexOf(t.predicate.value) >= 0 && t.object.type === "literal" && t.subject.type === "uri") {
          if (!names[t.subject.value]) names[t.subject.value] = t.object.value;
          return; // it names the node
        }
        triples.push([t.subject, t.predicate, t.object]);
      });
    } else {
      var cols = info.iris;
      var rows = answer.json.results.bindings;
      var middle = cols.length === 3 && PROPERTY_VAR.test(cols[1].name);
      rows.forEach(function (r) {
        if (middle) {
          if (r[cols[0].name] && r[cols[1].name] && r[cols[2].name]) triples.push([r[cols[0].name], r[cols[1].name], r[cols[2].name]]);
          return;
        }
        if (cols.length === 1 && r[cols[0].name]) triples.push([r[cols[0].name], null, null]);
        for (var i = 0; i + 1 < cols.length; i++) {
          var s = r[cols[i].name];
          var o = r[cols[i + 1].name];
          if (s && o) triples.push([s, { type: "var", value: "?" + cols[i + 1].name }, o]);
          else if (s) triples.push([s, null, null]);
        }
      });
    }
    function node(term) {
      var k = key(term);
      if (!nodes[k]) {
        if (order.length >= MAX_NODES) return null;
        var kind = kindOf(term, types, ctx);
        nodes[k] = {
          id: "n" + order.length,
          term: term,
          label: labelOf(term, ctx, names),
          kind: kind,
          href: term.type === "uri" && ctx.isWebIri(term.value) ? ctx.localHref(term.value) : null,
          out: [],
        };
        order.push(nodes[k]);
      }
      return nodes[k];
    }
    var seen = {};
    var dropped = 0;
    triples.forEach(function (t) {
      var s = node(t[0]);
      if (!t[1]) { if (!s) dropped++; return; }
      var o = node(t[2]);
      if (!s || !o) { dropped++; return; }
      var label = t[1].type === "var" ? t[1].value : (ctx.labels[t[1].value] || ctx.termLabels[t[1].value] || ctx.compact(t[1].value));
      var id = s.id + " " + label + " " + o.id;
      if (seen[id]) return;
      seen[id] = true;
      var edge = { id: "e" + edges.length, source: s, target: o, label: label };
      edges.push(edge);
      s.out.push(edge);
    });
    return { nodes: order, edges: edges, dropped: dropped };
  }

  function colours(nodes) {
    var kinds = [];
    nodes.forEach(function (n) { if (kinds.indexOf(n.kind) < 0) kinds.push(n.kind); });
    kinds.sort();
    var map = {};
    kinds.forEach(function (k, i) { map[k] = PALETTE[i % PALETTE.length]; });
    return map;
  }

  function open(n) { if (n && n.href) window.location.assign(n.href); }

  function drawGraph(panel, answer, info, ctx) {
    panel.textContent = "";
    var g = graphOf(answer, info, ctx);
    var colour = colours(g.nodes);
    var sorted = g.nodes.slice().sort(function (a, b) {
      var x = a.label.toLowerCase();
      var y = b.label.toLowerCase();
      return x < y ? -1 : x > y ? 1 : 0;
    });
    var caption = el("p", "graph-caption");
    caption.id = "graph-caption";
    caption.textContent = g.nodes.length + " node" + (g.nodes.length === 1 ? "" : "s") + ", " +
      g.edges.length + " edge" + (g.edges.length === 1 ? "" : "s") + ", coloured by kind" +
      (g.dropped ? " (the first " + MAX_NODES + " nodes only)" : "") +
      ". Click a node to open its page; or Tab to the picture, move with the arrow keys and press Enter.";
    var legend = el("ul", "graph-legend");
    legend.id = "graph-legend";
    legend.setAttribute("aria-label", "Kinds of node");
    Object.keys(colour).forEach(function (k) {
      var li = el("li");
      var swatch = el("span", "swatch");
      swatch.style.backgroundColor = colour[k];
      li.append(swatch, document.createTextNode(k));
      legend.appendChild(li);
    });
    var box = el("div", "graph-canvas");
    box.id = "graph-canvas";
    box.tabIndex = 0;
    box.setAttribute("role", "group");
    box.setAttribute("aria-roledescription", "graph");
    box.setAttribute("aria-label", "The answer as a graph of " + g.nodes.length + " nodes; arrow keys move between nodes, Enter opens the page of the one selected");
    box.setAttribute("aria-describedby", "graph-caption");
    var focusLine = el("p", "graph-focus");
    focusLine.id = "graph-focus";
    focusLine.setAttribute("aria-live", "polite");
    panel.append(caption, legend, box, focusLine, textAlternative(sorted, colour));

    if (cy) { cy.destroy(); cy = null; }
    var elements = [];
    g.nodes.forEach(function (n, i) { // start on a circle: the same answer gives the same picture
      var angle = 2 * Math.PI * i / g.nodes.length;
      elements.push({ group: "nodes", data: { id: n.id, label: clip(n.label, 40), colour: colour[n.kind], href: n.href || "" }, classes: n.term.type === "literal" ? "value" : "", position: { x: 300 * Math.cos(angle), y: 300 * Math.sin(angle) } });
    });
    g.edges.forEach(function (e) {
      elements.push({ group: "edges", data: { id: e.id, source: e.source.id, target: e.target.id, label: clip(e.label, 30) } });
    });
    cy = window.cytoscape({
      container: box,
      elements: elements,
      userZoomingEnabled: false, // the page scrolls, the picture does not trap the wheel or a finger
      userPanningEnabled: false,
      boxSelectionEnabled: false,
      autounselectify: false,
      style: [
        { selector: "node", style: { "background-color": "data(colour)", label: "data(label)", "font-size": 10, color: "#1d1d1f", "text-valign": "bottom", "text-margin-y": 3, "text-wrap": "wrap", "text-max-width": 120, width: 16, height: 16, "text-background-color": "#ffffff", "text-background-opacity": 0.8 } },
        { selector: "node.value", style: { shape: "round-rectangle", width: 10, height: 10 } },
        { selector: "node:selected", style: { "border-width": 3, "border-color": "#1d1d1f", width: 22, height: 22 } },
        { selector: "edge", style: { width: 1.2, "line-color": "#8a94a8", "target-arrow-color": "#8a94a8", "target-arrow-shape": "triangle", "curve-style": "bezier", label: "data(label)", "font-size": 8, color: "#4f5561", "text-rotation": "autorotate", "text-background-color": "#ffffff", "text-background-opacity": 0.8 } },
      ],
      layout: g.nodes.length > 1 ? { name: "cose", animate: false, randomize: false, nodeRepulsion: function () { return 40000; }, idealEdgeLength: function () { return 90; }, numIter: 1200, fit: true, padding: 20 } : { name: "grid", fit: true, padding: 40 },
    });
    var byId = {};
    g.nodes.forEach(function (n) { byId[n.id] = n; });
    var at = -1;
    function focus(i) {
      at = (i + sorted.length) % sorted.length;
      var n = sorted[at];
      cy.nodes().unselect();
      cy.getElementById(n.id).select();
      box.dataset.selected = n.id;
      focusLine.textContent = n.label + " (" + n.kind + "), " + n.out.length + " outgoing edge" + (n.out.length === 1 ? "" : "s") +
        (n.href ? ". Enter opens its page." : ".");
    }
    box.addEventListener("keydown", function (event) {
      if (!sorted.length) return;
      if (event.key === "ArrowRight" || event.key === "ArrowDown") focus(at + 1);
      else if (event.key === "ArrowLeft" || event.key === "ArrowUp") focus(at < 0 ? -1 : at - 1);
      else if (event.key === "Home") focus(0);
      else if (event.key === "End") focus(sorted.length - 1);
      else if (event.key === "Enter" && at >= 0) open(sorted[at]);
      else return;
      event.preventDefault();
    });
    cy.on("tap", "node", function (event) { open(byId[event.target.id()]); });
    panel.dataset.nodes = String(g.nodes.length);
    panel.dataset.edges = String(g.edges.length);
  }

  // The graph as text: each node (a link to its page) with its outgoing edges.
  function textAlternative(sorted, colour) {
    var details = el("details", "graph-text");
    details.id = "graph-text";
    details.appendChild(el("summary", "", "The graph as text (" + sorted.length + " nodes); the Table tab lists the whole answer"));
    var ul = el("ul");
    sorted.forEach(function (n) {
      var li = el("li");
      li.dataset.node = n.id;
      var name;
      if (n.href) {
        name = el("a", "node-link", n.label);
        name.href = n.href;
        name.dataset.iri = n.term.value;
      } else name = el("span", "node-name", n.label);
      li.append(name, el("small", "kind", " " + n.kind));
      if (n.out.length) {
        var edges = el("ul");
        n.out.forEach(function (e) { edges.appendChild(el("li", "", e.label + " → " + e.target.label)); });
        li.appendChild(edges);
      }
      ul.appendChild(li);
    });
    details.appendChild(ul);
    return details;
  }

  // ---- the bar chart --------------------------------------------------------------------------
  function termText(v, ctx) {
    if (!v) return "—";
    if (v.type === "uri") return ctx.labels[v.value] || ctx.termLabels[v.value] || ctx.compact(v.value);
    if (v.type === "bnode") return "_:" + v.value;
    return isNumber(v) ? numbers.format(Number(v.value)) : v.value;
  }

  function drawBars(panel, answer, info, ctx) {
    panel.textContent = "";
    var column = info.barColumn;
    var others = info.varying.filter(function (c) { return c !== column && !c.number; });
    var rows = answer.json.results.bindings;
    var bars = rows.map(function (r, i) {
      var label = others.map(function (c) { return termText(r[c.name], ctx); }).join(" · ") || "row " + (i + 1);
      return { label: label, value: Number(r[column.name].value) };
    });
    var max = Math.max.apply(null, bars.map(function (b) { return b.value; })) || 1;
    var rowHeight = 34;
    var height = bars.length * rowHeight + 8;
    var chart = svg("svg", { role: "img", width: "100%", height: String(height), "aria-labelledby": "bar-title bar-desc", class: "bar-chart" });
    chart.id = "bar-chart";
    var title = "?" + column.name + (others.length ? " by " + names(others) : "");
    chart.appendChild(svg("title", { id: "bar-title" }, title));
    var described = bars.length + " bars, in the answer's order: " +
      bars.map(function (b) { return b.label + ": " + numbers.format(b.value); }).join("; ") + ".";
    chart.appendChild(svg("desc", { id: "bar-desc" }, described));
    bars.forEach(function (b, i) {
      var y = i * rowHeight + 4;
      var share = (b.value / max) * 78;
      var group = svg("g", { class: "bar", "data-label": b.label, "data-value": String(b.value) });
      group.appendChild(svg("text", { x: "0", y: String(y + 11), class: "bar-label" }, clip(b.label, 90)));
      group.appendChild(svg("rect", { x: "0", y: String(y + 15), height: "13", width: share.toFixed(3) + "%", class: "bar-rect" }));
      group.appendChild(svg("text", { x: (share + 1).toFixed(3) + "%", y: String(y + 26), class: "bar-value" }, numbers.format(b.value)));
      chart.appendChild(group);
    });
    var caption = el("p", "bar-caption");
    caption.id = "bar-caption";
    caption.textContent = "Bars: " + title + ", " + bars.length + " rows in the answer's order; each value is written beside its bar.";
    panel.append(caption, chart);
  }

  // ---- tabs ---------------------------------------------------------------------------------
  function setup() {
    if (tabs) return;
    var table = document.getElementById("table-wrap");
    tabs = el("div", "view-tabs");
    tabs.id = "view-tabs";
    tabs.setAttribute("role", "tablist");
    tabs.setAttribute("aria-label", "Show the answer as");
    tabs.hidden = true;
    note = el("p", "view-note");
    note.id = "view-note";
    note.hidden = true;
    table.parentNode.insertBefore(tabs, table);
    table.parentNode.insertBefore(note, table);
    panels.table = table;
    ["graph", "bar"].forEach(function (name) {
      var panel = el("div", "view-panel " + name + "-view");
      panel.id = name + "-view";
      panel.hidden = true;
      table.parentNode.appendChild(panel);
      panels[name] = panel;
    });
    ["table", "graph", "bar"].forEach(function (name) {
      var tab = el("button", "view-tab", NAMES[name]);
      tab.type = "button";
      tab.id = "view-tab-" + name;
      tab.dataset.view = name;
      tab.setAttribute("role", "tab");
      tab.setAttribute("aria-controls", panels[name].id);
      tab.addEventListener("click", function () { choose(name); });
      tab.addEventListener("keydown", function (event) {
        var visible = Array.prototype.filter.call(tabs.children, function (t) { return !t.hidden; });
        var i = visible.indexOf(tab);
        var next = null;
        if (event.key === "ArrowRight") next = visible[(i + 1) % visible.length];
        else if (event.key === "ArrowLeft") next = visible[(i - 1 + visible.length) % visible.length];
        else if (event.key === "Home") next = visible[0];
        else if (event.key === "End") next = visible[visible.length - 1];
        if (!next) return;
        event.preventDefault();
        next.focus();
        choose(next.dataset.view);
      });
      tabs.appendChild(tab);
    });
  }

  function choose(view) {
    if (!shown || shown.fit.offered.indexOf(view) < 0) return;
    shown.view = view;
    Object.keys(panels).forEach(function (name) {
      var on = name === view;
      panels[name].hidden = !on;
      var tab = document.getElementById("view-tab-" + name);
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
    });
    if (shown.fit.offered.length > 1) {
      panels.table.setAttribute("role", "tabpanel");
      panels.table.setAttribute("aria-labelledby", "view-tab-table");
    }
    ["graph", "bar"].forEach(function (name) {
      panels[name].setAttribute("role", "tabpanel");
      panels[name].setAttribute("aria-labelledby", "view-tab-" + name);
    });
    document.getElementById("results").dataset.view = view;
    if (!shown.drawn[view]) {
      shown.drawn[view] = true;
      if (view === "graph") drawGraph(panels.graph, shown.answer, shown.fit, shown.answer.ctx);
      if (view === "bar") drawBars(panels.bar, shown.answer, shown.fit, shown.answer.ctx);
    }
  }

  // Offers the views that fit an answer already shown as a table, and shows the chosen one.
  // answer: {form: "select"|"triples", json|triples, ctx: query.js's context plus iriBase, text}.
  function offer(answer) {
    setup();
    var info = fit(answer);
    shown = { answer: answer, fit: info, view: null, drawn: { table: true } };
    var asked = forced(answer.text);
    var view = info.auto;
    var why = info.why;
    if (asked === undefined) {
      why = "the #defaultView comment names no view here (Graph, BarChart or Table)";
    } else if (asked) {
      if (info.offered.indexOf(asked) >= 0) {
        view = asked;
        why = "the query's #defaultView comment asks for it";
      } else {
        why = "the query's #defaultView comment asks for a " + NAMES[asked].toLowerCase() + ", which does not fit this answer";
        view = info.auto;
      }
    }
    Array.prototype.forEach.call(tabs.children, function (tab) {
      tab.hidden = info.offered.indexOf(tab.dataset.view) < 0;
    });
    tabs.hidden = info.offered.length < 2;
    note.hidden = tabs.hidden;
    note.textContent = "Shown as " + (view === "bar" ? "a bar chart" : view === "graph" ? "a graph" : "a table") +
      (why ? ": " + why + "." : ".") + " The tabs switch views.";
    choose(view);
  }

  // Back to the table alone (a new query runs, or an ASK answer).
  function clear() {
    if (cy) { cy.destroy(); cy = null; }
    shown = null;
    if (!tabs) return;
    tabs.hidden = true;
    note.hidden = true;
    panels.table.hidden = false;
    panels.table.removeAttribute("role");
    panels.table.removeAttribute("aria-labelledby");
    ["graph", "bar"].forEach(function (name) { panels[name].hidden = true; panels[name].textContent = ""; });
    delete document.getElementById("results").dataset.view;
  }

  window.Views = { offer: offer, clear: clear, fit: fit, forced: forced };
})();
