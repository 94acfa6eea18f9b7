// Save an invitation's answers as the respondent goes: each change posts the form as a
// draft (the server answers with the draft state and the next revision, as it does for
// htmx). Saves run one after another so each carries the revision the last one returned.
// Without JavaScript the "Save and finish later" button does the same. (form.action would
// be the button named "action", hence getAttribute.)
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch) { return; }
  var busy = false, again = false;

  function save() {
    if (busy) { again = true; return; }
    busy = true;
    var data = new FormData(form);
    data.set("action", "save");
    fetch(form.getAttribute("action"), {
      method: "POST", body: data, credentials: "same-origin", headers: { "HX-Request": "true" }
    }).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (html) {
      var state = document.getElementById("draft-state");
      if (html && state) { state.outerHTML = html; }
    }).catch(function () { /* offline: the next change or the buttons save */ })
      .finally(function () {
        busy = false;
        if (again) { again = false; save(); }
      });
  }
  form.addEventListener("change", save);
})();
