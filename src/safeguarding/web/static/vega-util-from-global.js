// vega-interpreter (an ES module) imports these from vega-util; vega.min.js, loaded before it, carries the same
// functions on its global, so the browser needs no bundler and no import map (an inline script).
const { ascending, isString, DisallowedObjectProperties } = window.vega;

export { ascending, isString, DisallowedObjectProperties };
