// The API's browsable documentation: Swagger UI from the app's own static files, reading the OpenAPI document
// named by the page. No badge from the public validator (an image from elsewhere, which the CSP refuses).
(function () {
  var holder = document.getElementById("swagger-ui");
  if (!holder || typeof SwaggerUIBundle === "undefined") { return; }
  window.ui = SwaggerUIBundle({
    url: holder.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis]
  });
})();
