// The governance phone pages: fill in the reporter's position, record a patrol's track.
// Loaded from a file, not inline: the pages' Content-Security-Policy allows no inline script.
(function () {
  "use strict";

  function localNow() {
    var now = new Date();
    return new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  }

  function onLocate() {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(function (p) {
      document.getElementById("id_latitude").value = p.coords.latitude.toFixed(6);
      document.getElementById("id_longitude").value = p.coords.longitude.toFixed(6);
    });
  }

  function onTrackStart() {
    var field = document.getElementById("id_track");
    var points = [];
    document.getElementById("id_started_at").value = localNow();
    if (!navigator.geolocation) return;
    navigator.geolocation.watchPosition(function (p) {
      points.push([+p.coords.longitude.toFixed(6), +p.coords.latitude.toFixed(6)]);
      field.value = JSON.stringify(points);
      document.getElementById("id_ended_at").value = localNow();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var locate = document.querySelector("[data-testid=locate]");
    if (locate) locate.addEventListener("click", onLocate);
    var track = document.querySelector("[data-testid=track-start]");
    if (track) track.addEventListener("click", onTrackStart);
  });
})();
