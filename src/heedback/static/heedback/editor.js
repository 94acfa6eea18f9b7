// The survey builder without inline script (the CSP forbids it). Everything works without
// this file; it only moves focus after htmx swaps the editor and hides the value box of a
// display condition that needs none.
(function () {
  "use strict";

  function syncCondition(root) {
    root.querySelectorAll("[data-condition]").forEach(function (group) {
      var operator = group.querySelector("[name=condition_operator]");
      var values = group.querySelector("[data-field=condition_values]");
      var question = group.querySelector("[name=condition_question]");
      if (!operator || !values) return;
      var hidden = operator.value === "answered" || (question && question.value === "");
      values.classList.toggle("is-hidden", hidden);
    });
  }

  function focusAfterSwap(root) {
    var target = root.querySelector("[aria-invalid=true]") ||
      root.querySelector("[data-question-form] textarea, [data-question-form] input:not([type=hidden])");
    if (target) {
      target.focus();
      return;
    }
    var status = root.querySelector(".messages");
    if (status) {
      status.setAttribute("tabindex", "-1");
      status.focus();
    }
  }

  document.addEventListener("change", function (event) {
    if (event.target.closest && event.target.closest("[data-condition]")) {
      syncCondition(document);
    }
  });
  document.addEventListener("DOMContentLoaded", function () { syncCondition(document); });
  document.addEventListener("htmx:afterSettle", function (event) {
    var root = event.detail && event.detail.elt ? event.detail.elt : document;
    syncCondition(document);
    if (root.id === "editor" || root.id === "domains") focusAfterSwap(root);
  });
})();
