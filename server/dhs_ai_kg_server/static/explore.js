// /explore: the release graph (/pictures/graph.json, Cytoscape.js elements) drawn by the
// vendored Cytoscape.js. Nodes are coloured by kind (the data gives the colour), filtered by the
// kind checkboxes, opened by click or Enter; keys: arrows select, + and - zoom, 0 fits.
// The body's data-state is "ready" once drawn; data-nodes and data-visible count the nodes.
(function () {
  "use strict";
  const box = document.getElementById("cy");
  const status = document.getElementById("explore-status");
  if (!box || typeof cytoscape !== "function") return;
  document.body.classList.add("explore-js");

  function say(text) { status.textContent = text; }

  fetch("/pictures/graph.json", { headers: { Accept: "application/json" } })
    .then((r) => { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
    .then(draw)
    .catch((err) => {
      document.body.classList.remove("explore-js");
      document.body.dataset.state = "error";
      say("The interactive picture could not be drawn (" + err.message + "); the list below has every node.");
    });

  function draw(data) {
    const nodes = data.elements.nodes; // start on a circle: the same graph gives the same picture
    nodes.forEach((n, i) => {
      const angle = (2 * Math.PI * i) / nodes.length;
      n.position = { x: 1500 * Math.cos(angle), y: 1500 * Math.sin(angle) };
    });
    const cy = cytoscape({
      container: box,
      elements: data.elements,
      wheelSensitivity: 0.3,
      minZoom: 0.05,
      maxZoom: 4,
      style: [
        { selector: "node", style: {
          "shape": "round-rectangle", "background-color": "data(colour)",
          "border-width": 1, "border-color": "#5a6b8c", "label": "data(label)",
          "color": "#1a1a1a", "font-size": 12, "text-wrap": "wrap", "text-max-width": 112,
          "text-valign": "center", "width": 120, "height": 48, "min-zoomed-font-size": 5 } },
        { selector: "node:selected", style: { "border-width": 4, "border-color": "#0b5cad" } },
        { selector: "edge", style: {
          "width": 1, "line-color": "#8a94a8", "target-arrow-color": "#8a94a8",
          "target-arrow-shape": "triangle", "curve-style": "bezier", "label": "data(label)",
          "font-size": 7, "color": "#3a3a44", "text-rotation": "autorotate",
          "text-background-color": "#ffffff", "text-background-opacity": 0.8,
          "min-zoomed-font-size": 8 } },
      ],
      layout: { name: "cose", animate: false, randomize: false, nodeRepulsion: 400000, idealEdgeLength: 100, componentSpacing: 60, nodeOverlap: 20, gravity: 60, numIter: 1500 },
    });
    let order = [];
    let current = -1;

    function visible() { return cy.nodes().filter((n) => n.style("display") !== "none"); }
    function count() {
      document.body.dataset.nodes = String(cy.nodes().length);
      document.body.dataset.visible = String(visible().length);
      order = visible().sort((a, b) => a.data("label").localeCompare(b.data("label"))).toArray();
      current = -1;
    }
    function open(node) { window.location.href = node.data("href"); }
    function select(index) {
      if (!order.length) return;
      current = (index + order.length) % order.length;
      const node = order[current];
      cy.elements().unselect();
      node.select();
      cy.animate({ center: { eles: node } }, { duration: 0 });
      say(node.data("label") + " (" + node.data("kindTitle") + "): press Enter to open its page.");
    }

    cy.on("tap", "node", (evt) => open(evt.target));
    box.addEventListener("keydown", (evt) => {
      const keys = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
      if (evt.key in keys) { select(current < 0 ? 0 : current + keys[evt.key]); }
      else if (evt.key === "Enter" && current >= 0) { open(order[current]); }
      else if (evt.key === "+" || evt.key === "=") { zoom(1.25); }
      else if (evt.key === "-") { zoom(0.8); }
      else if (evt.key === "0") { cy.fit(visible(), 20); }
      else { return; }
      evt.preventDefault();
    });
    function zoom(factor) {
      cy.zoom({ level: cy.zoom() * factor, renderedPosition: { x: box.clientWidth / 2, y: box.clientHeight / 2 } });
    }
    document.getElementById("zoom-in").addEventListener("click", () => zoom(1.25));
    document.getElementById("zoom-out").addEventListener("click", () => zoom(0.8));
    document.getElementById("zoom-fit").addEventListener("click", () => cy.fit(visible(), 20));

    const boxes = Array.from(document.querySelectorAll('#explore-kinds input[name="kind"]'));
    function filter() {
      const shown = new Set(boxes.filter((b) => b.checked).map((b) => b.value));
      cy.batch(() => {
        cy.nodes().forEach((n) => n.style("display", shown.has(n.data("kind")) ? "element" : "none"));
      });
      count();
      say(visible().length + " of " + cy.nodes().length + " nodes shown.");
    }
    boxes.forEach((b) => b.addEventListener("change", filter));
    document.getElementById("kinds-all").addEventListener("click", () => { boxes.forEach((b) => { b.checked = true; }); filter(); });
    document.getElementById("kinds-none").addEventListener("click", () => { boxes.forEach((b) => { b.checked = false; }); filter(); });

    count();
    cy.fit(undefined, 20);
    document.body.dataset.state = "ready";
    say(cy.nodes().length + " nodes and " + cy.edges().length + " statements drawn.");
  }
})();
