/* The guard's page: after each answer the scan field is emptied and focused again, so a
   keyboard-wedge scanner (which types the code and presses Enter) can go on scanning. */
(function () {
  "use strict";
  function ready() {
    var form = document.getElementById("scan-form");
    if (!form) return;
    var input = form.querySelector("input[name=code]");
    document.body.addEventListener("htmx:afterSwap", function (e) {
      if (e.detail.target && e.detail.target.id === "scan-result") {
        input.value = "";
        input.focus();
      }
    });
    input.focus();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
