// The network picture: cytoscape.js draws the nodes and links given in the page's JSON data block (the table
// beside it says the same without JavaScript).
(function () {
  var holder = document.getElementById("network-picture");
  if (!holder || typeof cytoscape === "undefined") { return; }
  holder.hidden = false;
  document.getElementById("network-key").hidden = false;
  var elements = JSON.parse(document.getElementById("network-data").textContent);
  var bandColour = {high: "#d4351c", medium: "#f47738", low: "#ffdd00", no_apparent: "#00703c", "": "#b1b4b6"};
  var cy = cytoscape({
    container: holder,
    elements: elements,
    layout: {name: "cose", animate: false, randomize: false, nodeRepulsion: 9000, idealEdgeLength: 70},
    style: [
      {selector: "node", style: {"label": "data(label)", "font-size": 9, "text-wrap": "ellipsis", "text-max-width": 110,
                                 "background-color": "#505a5f", "width": 22, "height": 22, "color": "#0b0c0c"}},
      {selector: "node[role = 'child']", style: {"background-color": "#1d70b8", "border-width": 4,
                                                  "border-color": function (n) { return bandColour[n.data("band")] || "#b1b4b6"; }}},
      {selector: "node[role = 'adult']", style: {"background-color": "#4c2c92", "shape": "diamond"}},
      {selector: "node[kind = 'context']", style: {"background-color": "#00703c", "shape": "round-rectangle"}},
      {selector: "node[kind = 'vehicle']", style: {"background-color": "#6f777b", "shape": "hexagon"}},
      {selector: "node[kind = 'phone']", style: {"background-color": "#b58840", "shape": "triangle"}},
      {selector: "node[?centre]", style: {"width": 34, "height": 34, "font-weight": "bold"}},
      {selector: "edge", style: {"width": 1.5, "line-color": "#b1b4b6", "curve-style": "bezier", "label": "data(label)",
                                 "font-size": 7, "color": "#505a5f", "text-rotation": "autorotate"}},
      {selector: "edge[kind = 'exploits']", style: {"line-color": "#d4351c", "width": 3}},
      {selector: "edge[kind = 'sibling']", style: {"line-style": "dashed"}},
      {selector: "edge[kind = 'parent']", style: {"line-style": "dotted"}}
    ]
  });
  cy.on("tap", "node", function (event) {
    var href = event.target.data("href");
    if (href) { window.location.href = href; }
  });
  window.networkPicture = cy;
})();
