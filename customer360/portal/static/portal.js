// Progressive enhancement only: every page works without this. Starts GOV.UK Frontend's components
// (for example the double-click guard on buttons, and the error summary taking focus).
import { initAll } from "/static/govuk/govuk-frontend.min.js";

initAll();
