// The case list for people who work many cases a day: j and k move, Enter opens, x ticks.
// Loaded as a file (the CSP forbids inline scripts); the list works without it.
(function () {
  "use strict";
  var current = -1;

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-keyboard-list] tr[data-href]"));
  }

  function select(index) {
    var all = rows();
    if (!all.length) { return; }
    index = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (row) { row.classList.remove("is-current"); row.removeAttribute("aria-current"); });
    var row = all[index];
    row.classList.add("is-current");
    row.setAttribute("aria-current", "true");
    var link = row.querySelector("a");
    if (link) { link.focus({ preventScroll: true }); }
    row.scrollIntoView({ block: "nearest" });
    current = index;
  }

  function typing(target) {
    var name = target && target.tagName;
    return name === "INPUT" || name === "SELECT" || name === "TEXTAREA" || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) { return; }
    var all = rows();
    if (!all.length) { return; }
    if (event.key === "j") { select(current + 1); event.preventDefault(); }
    else if (event.key === "k") { select(current - 1); event.preventDefault(); }
    else if (event.key === "Enter" && current >= 0 && all[current]) {
      window.location.assign(all[current].getAttribute("data-href"));
      event.preventDefault();
    } else if (event.key === "x" && current >= 0 && all[current]) {
      var box = all[current].querySelector("input[type=checkbox]");
      if (box) { box.checked = !box.checked; }
      event.preventDefault();
    }
  });

  // A click anywhere on a row opens it, except on its checkbox or link.
  document.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest("[data-keyboard-list] tr[data-href]");
    if (!row || event.target.closest("a, input, label, button")) { return; }
    window.location.assign(row.getAttribute("data-href"));
  });

  // The filters replace the table through htmx: start again from the top.
  document.addEventListener("htmx:afterSwap", function () { current = -1; });
})();
