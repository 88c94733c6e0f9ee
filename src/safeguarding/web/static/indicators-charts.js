// Draws each indicator's Vega-Lite chart from its JSON data block. Vega's own expression parser compiles with
// `new Function`; the interpreter evaluates the same expressions without eval, so the CSP needs no 'unsafe-eval'.
import { expressionInterpreter } from "/static/vendor/vega/vega-interpreter.js";

if (typeof vegaEmbed !== "undefined") {
  document.querySelectorAll("[data-chart]").forEach(function (holder) {
    var source = document.getElementById(holder.getAttribute("data-chart"));
    if (!source) { return; }
    vegaEmbed(holder, JSON.parse(source.textContent), {
      actions: false, renderer: "svg", ast: true, expr: expressionInterpreter,
      // vega-embed and its tooltips would each add a style element, which the CSP refuses: charts.css has them.
      defaultStyle: false, tooltip: {disableDefaultStyle: true}
    }).then(function () {
      // The holder is one image named by its label (the table beside it has the figures): the drawing's own
      // marks would otherwise be unnamed images to a screen reader (WCAG 1.1.1, which axe-core checks).
      holder.querySelectorAll("svg").forEach(function (svg) { svg.setAttribute("aria-hidden", "true"); });
    }).catch(function () {});
  });
}
