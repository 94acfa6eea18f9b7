// Show a question with a display condition only when the question it depends on is answered.
// Without JavaScript every question shows and the server ignores answers to hidden ones.
(function () {
  "use strict";
  var form = document.querySelector(".survey-form");
  if (!form) { return; }
  var conditions = JSON.parse(document.getElementById("conditions").textContent);

  function answers(key) {
    var picked = [];
    form.querySelectorAll('[name="q_' + key + '"]').forEach(function (input) {
      if ((input.type === "radio" || input.type === "checkbox") ? input.checked : input.value.trim()) {
        picked.push(input.value);
      }
    });
    return picked;
  }
  function normalise(value) {
    if (value === true || value === "true" || value === "yes") { return "yes"; }
    if (value === false || value === "false" || value === "no") { return "no"; }
    return String(value);
  }
  function holds(condition) {
    var box = document.getElementById("question-" + condition.question);
    if (box && box.classList.contains("is-hidden")) { return false; }
    var picked = answers(condition.question).map(normalise);
    if (condition.answered !== undefined && condition.answered !== null) {
      return (picked.length > 0) === condition.answered;
    }
    var expected = condition["in"] !== undefined && condition["in"] !== null ? condition["in"] : [condition.equals];
    return expected.map(normalise).some(function (value) { return picked.indexOf(value) !== -1; });
  }
  function refresh() {
    Object.keys(conditions).forEach(function (key) {
      var box = document.getElementById("question-" + key);
      if (box) { box.classList.toggle("is-hidden", !holds(conditions[key])); }
    });
  }
  form.addEventListener("change", refresh);
  form.addEventListener("input", refresh);
  refresh();
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  // Kiosk: a half-answered form left alone goes back to a clean one for the next guest.
  var idle = parseInt(form.getAttribute("data-kiosk-idle") || "0", 10);
  if (idle > 0) {
    var timer = null;
    var restart = function () { window.location.replace(form.getAttribute("data-kiosk-home")); };
    var wait = function () { window.clearTimeout(timer); timer = window.setTimeout(restart, idle * 1000); };
    ["input", "change", "pointerdown", "keydown", "scroll"].forEach(function (name) {
      document.addEventListener(name, wait, { passive: true });
    });
    wait();
  }
})();
