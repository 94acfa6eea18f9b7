// The rule form: each condition row shows only the fields its kind uses.
(function () {
  "use strict";
  function refresh(row) {
    var kind = row.querySelector("select[name$='-kind']");
    if (!kind) { return; }
    row.querySelectorAll("[data-condition-kinds]").forEach(function (box) {
      var kinds = box.getAttribute("data-condition-kinds");
      var wanted = kinds === "*" || (kind.value && kinds.split(" ").indexOf(kind.value) >= 0);
      box.hidden = !wanted;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".condition-row").forEach(function (row) {
      refresh(row);
      row.addEventListener("change", function (event) {
        if (event.target.name && event.target.name.slice(-5) === "-kind") { refresh(row); }
      });
    });
  });
})();
