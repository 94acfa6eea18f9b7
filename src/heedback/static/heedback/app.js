// Staff pages: small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Ask before a destructive action (buttons marked data-confirm).
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = button && button.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
})();
