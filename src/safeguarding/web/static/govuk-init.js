// GOV.UK Frontend's components (loaded as a module, as its documentation says).
import { initAll } from "/static/vendor/govuk-frontend/govuk-frontend.min.js";

initAll();
