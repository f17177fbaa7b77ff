// Autosaving forms (marked data-autosave, posting with htmx on change): the reply to a save must
// not overwrite what the user changed after that save was sent. Such a reply is dropped; the
// newer change sends its own save, whose reply is shown.
(function () {
  "use strict";

  function autosaveForm(el) {
    return el && el.closest ? el.closest("form[data-autosave]") : null;
  }

  document.addEventListener("change", function (event) {
    var form = autosaveForm(event.target);
    if (form) form.dataset.changes = String(Number(form.dataset.changes || 0) + 1);
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = autosaveForm(event.detail.elt);
    if (form) form.dataset.sent = form.dataset.changes || "0";
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var form = autosaveForm(event.detail.requestConfig && event.detail.requestConfig.elt);
    if (form && form.dataset.sent !== (form.dataset.changes || "0")) {
      event.detail.shouldSwap = false;
    }
  });
})();
