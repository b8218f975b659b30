// Answers people can read: the query page's results as labelled, formatted, sortable, filtered,
// paged tables, one-row answers as a card, constant columns folded into a line above the table,
// CONSTRUCT/DESCRIBE triples grouped by subject, and an empty answer that says why it may be.
// Plain script, no build step; query.js calls window.Answers. Labels come from this page's own
// endpoint (one extra query, page.labels_query, like WDQS's label service): no other host.
(function () {
  "use strict";

  var XSD = "http://www.w3.org/2001/XMLSchema#";
  var RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
  var PAGE_SIZE = 25;
  var MAX_LABELLED = 400; // IRIs named per answer: the label query stays a small POST
  var IRI_CHARS = /^[^\u0000-\u0020<>"{}|^`\\]+$/;
  var NUMERIC = /^(integer|decimal|double|float|int|long|short|byte|(non)?(Positive|Negative)Integer|nonNegativeInteger|nonPositiveInteger|positiveInteger|negativeInteger|unsigned(Int|Long|Short|Byte))$/;
  var numbers = new Intl.NumberFormat("en-US", { maximumFractionDigits: 6 });
  var dates = new Intl.DateTimeFormat("en-US", { dateStyle: "long", timeZone: "UTC" });
  var dateTimes = new Intl.DateTimeFormat("en-US", { dateStyle: "long", timeStyle: "short", timeZone: "UTC" });

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function plural(n, word) { return numbers.format(n) + " " + word + (n === 1 ? "" : "s"); }

  // ---- labels: one query to our endpoint for every IRI of the answer ------------------------
  function collectIris(values) {
    var seen = {};
    var out = [];
    values.forEach(function (v) {
      if (v && v.type === "uri" && !seen[v.value] && IRI_CHARS.test(v.value) && out.length < MAX_LABELLED) {
        seen[v.value] = true;
        out.push(v.value);
      }
    });
    return out;
  }

  // A promise of {iri: label} for ``iris``; {} when there are none or the lookup fails (the
  // answer is then shown with prefixed names, as before).
  function fetchLabels(page, iris, signal) {
    if (!iris.length || !page.labels_query) return Promise.resolve({});
    var list = iris.map(function (iri) { return "<" + iri + ">"; }).join(" ");
    var text = page.labels_query.replace(/VALUES \?iri \{ UNDEF \}/, "VALUES ?iri { " + list + " }");
    return fetch(page.endpoint, {
      method: "POST",
      headers: { Accept: "application/sparql-results+json" },
      body: new URLSearchParams({ query: text }),
      signal: signal,
    }).then(function (response) {
      return response.ok ? response.json() : { results: { bindings: [] } };
    }).then(function (json) {
      var labels = {};
      json.results.bindings.forEach(function (b) {
        if (b.iri && b.label) labels[b.iri.value] = b.label.value;
      });
      return labels;
    }, function (error) {
      if (error.name === "AbortError") throw error;
      return {};
    });
  }

  // ---- one RDF term, for people ----------------------------------------------------------------
  function localName(datatype) { return datatype && datatype.indexOf(XSD) === 0 ? datatype.slice(XSD.length) : null; }

  // {text, sort, note, className, title} of a literal: numbers grouped, dates written out.
  function literalView(v, ctx) {
    var type = localName(v.datatype);
    var raw = v.value;
    var title = raw + (v.datatype && v.datatype !== RDF + "langString" ? " (" + ctx.compact(v.datatype) + ")" : "");
    if (type && NUMERIC.test(type) && raw.trim() !== "" && isFinite(Number(raw))) {
      return { text: numbers.format(Number(raw)), sort: Number(raw), className: "number", title: title };
    }
    if (type === "date" && /^\d{4}-\d{2}-\d{2}$/.test(raw)) {
      return { text: dates.format(new Date(raw + "T00:00:00Z")), sort: raw, className: "date", title: title };
    }
    if (type === "dateTime" && !isNaN(Date.parse(raw))) {
      return { text: dateTimes.format(new Date(raw)) + " UTC", sort: raw, className: "date", title: title };
    }
    if (type === "boolean") {
      return { text: raw === "true" || raw === "1" ? "yes" : "no", sort: raw, className: "boolean-value", title: title };
    }
    var note = "";
    if (v["xml:lang"] && !/^en(-|$)/i.test(v["xml:lang"])) note = "@" + v["xml:lang"];
    else if (v.datatype && !v["xml:lang"] && type !== "string" && v.datatype !== RDF + "langString") {
      note = ctx.compact(v.datatype);
    }
    return { text: raw, sort: raw.toLowerCase(), className: "text", note: note, title: v["xml:lang"] ? raw + " @" + v["xml:lang"] : title };
  }

  // The element showing ``v`` and its sort key and search text.
  function termView(v, ctx) {
    var box = el("span", "term");
    if (!v) {
      box.classList.add("unbound");
      box.textContent = "—";
      box.title = "no value";
      return { node: box, sort: "\uffff", text: "" };
    }
    if (v.type === "uri") {
      var label = ctx.labels[v.value];
      var short = ctx.compact(v.value);
      var link;
      if (ctx.isWebIri(v.value)) {
        link = el("a", "iri");
        link.href = ctx.localHref(v.value);
        if (link.getAttribute("href") === v.value) {
          link.rel = "noopener noreferrer";
          link.classList.add("external");
        }
      } else {
        link = el("span", "iri opaque");
        short = "<" + v.value + ">";
      }
      link.dataset.iri = v.value;
      link.title = v.value;
      link.textContent = label || short;
      box.appendChild(link);
      if (label) {
        link.classList.add("labelled");
        box.appendChild(el("small", "curie", short));
      }
      return { node: box, sort: (label || short).toLowerCase(), text: (label || "") + " " + short + " " + v.value };
    }
    if (v.type === "bnode") {
      box.appendChild(el("span", "bnode", "_:" + v.value));
      box.title = "a blank node: a thing with no IRI of its own";
      return { node: box, sort: "~" + v.value, text: "_:" + v.value };
    }
    var view = literalView(v, ctx);
    box.classList.add("literal", view.className);
    box.title = view.title;
    box.appendChild(el("span", "value", view.text));
    if (view.note) box.appendChild(el("small", "datatype", view.note));
    return { node: box, sort: view.sort, text: view.text + " " + v.value };
  }

  function termKey(v) {
    return v ? [v.type, v.value, v.datatype || "", v["xml:lang"] || ""].join("\u0001") : "";
  }

  // ---- filter, sort and page a list of items ---------------------------------------------------
  // items: [{node, text, sort: [keys…]}]; holder gets the shown slice; controls hold the filter
  // box and the count; pager the previous/next buttons.
  function Pager(items, holder, controls, pager, noun) {
    this.items = items;
    this.holder = holder;
    this.noun = noun;
    this.filter = "";
    this.pageIndex = 0;
    this.shown = items.slice();
    var self = this;
    if (items.length > 1) {
      var label = el("label", "filter");
      label.appendChild(el("span", "", "Filter " + noun + "s "));
      this.input = el("input");
      this.input.type = "search";
      this.input.id = "results-filter";
      this.input.placeholder = "words, names, numbers…";
      this.input.addEventListener("input", function () {
        self.filter = self.input.value.trim().toLowerCase();
        self.pageIndex = 0;
        self.update();
      });
      label.appendChild(this.input);
      controls.appendChild(label);
    }
    this.count = el("span", "count");
    this.count.id = "results-count";
    this.count.setAttribute("aria-live", "polite");
    controls.appendChild(this.count);
    this.prev = el("button", "page-prev", "← Previous");
    this.prev.type = "button";
    this.prev.id = "page-prev";
    this.next = el("button", "page-next", "Next →");
    this.next.type = "button";
    this.next.id = "page-next";
    this.prev.addEventListener("click", function () { self.pageIndex--; self.update(); });
    this.next.addEventListener("click", function () { self.pageIndex++; self.update(); });
    this.pager = pager;
    pager.append(this.prev, this.next);
    this.update();
  }

  Pager.prototype.sortBy = function (index, descending) {
    var order = descending ? -1 : 1;
    this.items.sort(function (a, b) {
      var x = a.sort[index];
      var y = b.sort[index];
      if (typeof x === "number" && typeof y !== "number") return -order;
      if (typeof y === "number" && typeof x !== "number") return order;
      return (x < y ? -1 : x > y ? 1 : 0) * order;
    });
    this.pageIndex = 0;
    this.update();
  };

  Pager.prototype.update = function () {
    var filter = this.filter;
    this.shown = filter ? this.items.filter(function (item) { return item.text.indexOf(filter) >= 0; }) : this.items.slice();
    var pages = Math.max(1, Math.ceil(this.shown.length / PAGE_SIZE));
    this.pageIndex = Math.min(Math.max(0, this.pageIndex), pages - 1);
    var start = this.pageIndex * PAGE_SIZE;
    var slice = this.shown.slice(start, start + PAGE_SIZE);
    this.holder.textContent = "";
    slice.forEach(function (item) { this.holder.appendChild(item.node); }, this);
    var total = this.items.length;
    var text;
    if (!this.shown.length) text = "No " + this.noun + " matches the filter (of " + plural(total, this.noun) + ").";
    else if (pages > 1) {
      text = "Showing " + numbers.format(start + 1) + "–" + numbers.format(start + slice.length) + " of " +
        plural(this.shown.length, this.noun) + (filter ? " matching (" + numbers.format(total) + " in all)" : "") + ".";
    } else text = filter ? plural(this.shown.length, this.noun) + " of " + numbers.format(total) + " match." : "";
    this.count.textContent = text;
    this.pager.hidden = pages < 2;
    this.prev.disabled = this.pageIndex === 0;
    this.next.disabled = this.pageIndex >= pages - 1;
  };

  function frame(container) {
    var controls = el("div", "answer-controls");
    var pager = el("div", "pager");
    pager.hidden = true;
    return { controls: controls, pager: pager };
  }

  function emptyNote(noun) {
    var p = el("p", "empty-answer");
    p.id = "empty-answer";
    p.textContent = "No " + noun + "s matched. The query ran without error, but nothing in the graph fits " +
      "its pattern. Check the parameters (a misspelt IRI, a value of the wrong type, a language " +
      "tag such as @en that the data does or does not have) and the graph names it reads.";
    return p;
  }

  function varLabel(v) { return "?" + v; }

  // ---- SELECT -------------------------------------------------------------------------------------
  function card(vars, row, ctx) {
    var dl = el("dl", "answer-card");
    dl.id = "answer-card";
    vars.forEach(function (v) {
      var dd = el("dd");
      dd.dataset.var = v;
      dd.appendChild(termView(row[v], ctx).node);
      dl.append(el("dt", "", varLabel(v)), dd);
    });
    return dl;
  }

  function constantsLine(vars, row, ctx) {
    var box = el("div", "constants");
    box.id = "constants";
    box.appendChild(el("span", "constants-title", "In every row:"));
    var dl = el("dl");
    vars.forEach(function (v) {
      var dd = el("dd");
      dd.dataset.var = v;
      dd.appendChild(termView(row[v], ctx).node);
      dl.append(el("dt", "", varLabel(v)), dd);
    });
    box.appendChild(dl);
    return box;
  }

  function selectTable(vars, rows, ctx, container) {
    var parts = frame(container);
    var t = el("table", "answer-table");
    t.id = "results-table";
    var head = t.createTHead().insertRow();
    var tbody = t.createTBody();
    var items = rows.map(function (row) {
      var tr = el("tr");
      var sort = [];
      var text = [];
      vars.forEach(function (v) {
        var td = el("td");
        td.dataset.var = v;
        var view = termView(row[v], ctx);
        td.appendChild(view.node);
        tr.appendChild(td);
        sort.push(view.sort);
        text.push(view.text);
      });
      return { node: tr, sort: sort, text: text.join(" ").toLowerCase() };
    });
    var pager = new Pager(items, tbody, parts.controls, parts.pager, "row");
    var sorted = { index: -1, descending: false };
    vars.forEach(function (v, index) {
      var th = el("th");
      th.scope = "col";
      th.setAttribute("aria-sort", "none");
      var button = el("button", "sort", varLabel(v));
      button.type = "button";
      button.dataset.var = v;
      button.title = "Sort by ?" + v;
      button.addEventListener("click", function () {
        sorted.descending = sorted.index === index ? !sorted.descending : false;
        sorted.index = index;
        head.querySelectorAll("th").forEach(function (other) { other.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", sorted.descending ? "descending" : "ascending");
        pager.sortBy(index, sorted.descending);
      });
      th.appendChild(button);
      head.appendChild(th);
    });
    var wrap = el("div", "table-scroll");
    wrap.appendChild(t);
    container.append(parts.controls, wrap, parts.pager);
  }

  // Renders a SELECT answer into ``container``; returns its summary ("5 rows").
  function showSelect(container, json, ctx) {
    var vars = json.head.vars;
    var rows = json.results.bindings;
    container.textContent = "";
    if (!rows.length) {
      container.appendChild(emptyNote("row"));
    } else if (rows.length === 1) {
      container.appendChild(card(vars, rows[0], ctx));
    } else {
      var constant = vars.filter(function (v) {
        var key = termKey(rows[0][v]);
        return rows.every(function (row) { return termKey(row[v]) === key; });
      });
      var varying = vars.filter(function (v) { return constant.indexOf(v) < 0; });
      if (!varying.length) { varying = vars; constant = []; } // the same row again and again
      if (constant.length) container.appendChild(constantsLine(constant, rows[0], ctx));
      selectTable(varying, rows, ctx, container);
    }
    return plural(rows.length, "row").replace(/,/g, "");
  }

  // ---- CONSTRUCT / DESCRIBE: triples grouped by subject, values grouped under each property --
  function showGraph(container, triples, ctx) {
    container.textContent = "";
    if (!triples.length) {
      container.appendChild(emptyNote("triple"));
      return "0 triples";
    }
    var bySubject = {};
    var subjects = [];
    triples.forEach(function (t) {
      var key = termKey(t.subject);
      if (!bySubject[key]) {
        bySubject[key] = { subject: t.subject, properties: {}, order: [] };
        subjects.push(bySubject[key]);
      }
      var group = bySubject[key];
      var p = t.predicate.value;
      if (!group.properties[p]) {
        group.properties[p] = { predicate: t.predicate, objects: [] };
        group.order.push(p);
      }
      group.properties[p].objects.push(t.object);
    });
    var items = subjects.map(function (group) {
      var section = el("section", "subject-group");
      var heading = el("h3");
      var subject = termView(group.subject, ctx);
      heading.appendChild(subject.node);
      section.dataset.subject = group.subject.value;
      section.appendChild(heading);
      var dl = el("dl", "properties");
      var text = [subject.text];
      group.order.sort(function (a, b) {
        if (a === RDF + "type") return -1;
        if (b === RDF + "type") return 1;
        var x = (ctx.labels[a] || ctx.compact(a)).toLowerCase();
        var y = (ctx.labels[b] || ctx.compact(b)).toLowerCase();
        return x < y ? -1 : x > y ? 1 : 0;
      });
      group.order.forEach(function (p) {
        var entry = group.properties[p];
        var dt = el("dt");
        var pv = termView(entry.predicate, ctx);
        dt.appendChild(pv.node);
        var dd = el("dd");
        var ul = el("ul", "values");
        entry.objects.map(function (o) { return termView(o, ctx); })
          .sort(function (a, b) { return a.sort < b.sort ? -1 : a.sort > b.sort ? 1 : 0; })
          .forEach(function (view) {
            var li = el("li");
            li.appendChild(view.node);
            ul.appendChild(li);
            text.push(view.text);
          });
        dd.appendChild(ul);
        dl.append(dt, dd);
        text.push(pv.text);
      });
      section.appendChild(dl);
      var size = group.order.reduce(function (n, p) { return n + group.properties[p].objects.length; }, 0);
      return { node: section, sort: [subject.sort], size: size, text: text.join(" ").toLowerCase() };
    });
    // The subject said most about first (a DESCRIBE's focus), then by name.
    items.sort(function (a, b) {
      if (a.size !== b.size) return b.size - a.size;
      return a.sort[0] < b.sort[0] ? -1 : a.sort[0] > b.sort[0] ? 1 : 0;
    });
    var parts = frame(container);
    var holder = el("div", "subject-groups");
    holder.id = "subject-groups";
    new Pager(items, holder, parts.controls, parts.pager, "subject"); // eslint-disable-line no-new
    container.append(parts.controls, holder, parts.pager);
    return plural(triples.length, "triple").replace(/,/g, "");
  }

  // Every term of an answer, for the label lookup.
  function selectTerms(json) {
    var out = [];
    (json.results ? json.results.bindings : []).forEach(function (row) {
      Object.keys(row).forEach(function (v) { out.push(row[v]); });
    });
    return out;
  }

  function tripleTerms(triples) {
    var out = [];
    triples.forEach(function (t) { out.push(t.subject, t.predicate, t.object); });
    return out;
  }

  window.Answers = {
    collectIris: collectIris,
    fetchLabels: fetchLabels,
    selectTerms: selectTerms,
    tripleTerms: tripleTerms,
    showSelect: showSelect,
    showGraph: showGraph,
  };
})();
