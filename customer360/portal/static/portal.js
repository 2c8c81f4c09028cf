// Progressive enhancement only: every page works without this. Starts GOV.UK Frontend's components
// (for example the double-click guard on buttons, and the error summary taking focus), and offers
// "Use my location" where a report asks for latitude and longitude.
import { initAll } from "/static/govuk/govuk-frontend.min.js";

initAll();

for (const button of document.querySelectorAll("[data-portal-use-my-location]")) {
  const status = button.parentElement.querySelector("[data-portal-location-status]");
  if (!("geolocation" in navigator)) {
    button.parentElement.hidden = true;
    continue;
  }
  button.addEventListener("click", () => {
    status.textContent = "Finding your location…";
    navigator.geolocation.getCurrentPosition(
      (position) => {
        document.getElementById("latitude").value = position.coords.latitude.toFixed(6);
        document.getElementById("longitude").value = position.coords.longitude.toFixed(6);
        status.textContent = "Your latitude and longitude have been filled in.";
      },
      () => {
        status.textContent = "We could not find your location. Search for an address or type the latitude and longitude.";
      },
      { enableHighAccuracy: true, timeout: 10000 },
    );
  });
}
