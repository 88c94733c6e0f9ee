// GOV.UK Frontend's body classes, set before the page is drawn: a file rather than an inline script, so the
// Content-Security-Policy can refuse every inline script.
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
