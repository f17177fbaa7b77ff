// The questionnaire builder: type-specific fields, the branching editor, drag and drop
// (SortableJS), keeping focus on the item just moved or edited, and letting htmx swap in forms
// that come back with errors (400).
(function () {
  "use strict";

  function showTypeFields(form) {
    var type = form.querySelector("[name=type]");
    if (!type) return;
    form.querySelectorAll("[data-types]").forEach(function (el) {
      el.hidden = el.dataset.types.split(" ").indexOf(type.value) < 0;
    });
  }

  function showConditionValues(fieldset) {
    var select = fieldset.querySelector("select");
    if (!select) return;
    fieldset.querySelectorAll("[data-condition-for]").forEach(function (el) {
      el.hidden = el.dataset.conditionFor !== select.value;
    });
  }

  function post(item, values) {
    htmx.ajax("POST", item.dataset.moveUrl, { target: "#builder", swap: "outerHTML", values: values });
  }

  function makeSortable(list) {
    if (typeof Sortable === "undefined" || list.dataset.sortableReady) return;
    list.dataset.sortableReady = "1";
    var kind = list.dataset.sortable;
    Sortable.create(list, {
      handle: ".drag-handle",
      draggable: "li[data-move-url]",
      group: kind === "questions" ? "questions" : kind + Math.random(),
      animation: 150,
      onEnd: function (event) {
        if (event.from === event.to && event.oldDraggableIndex === event.newDraggableIndex) return;
        var values = { position: event.newDraggableIndex };
        if (event.to.dataset.section) values.section = event.to.dataset.section;
        post(event.item, values);
      },
    });
  }

  function focusAfterSwap() {
    var builder = document.getElementById("builder");
    var id = builder && builder.dataset.focus;
    if (!id) return;
    builder.dataset.focus = "";
    var target = document.getElementById(id);
    if (target && target.disabled) {
      target = target.parentElement.querySelector("button:not([disabled])");
    }
    if (target) target.focus();
  }

  function focusForm(root) {
    var form = root.matches && root.matches("[data-autofocus]") ? root : root.querySelector && root.querySelector("[data-autofocus]");
    if (!form) return;
    var target = form.querySelector(".error-summary") || form.querySelector("input:not([type=hidden]), select, textarea");
    if (target) target.focus();
  }

  htmx.onLoad(function (root) {
    root.querySelectorAll("[data-question-form]").forEach(function (form) {
      showTypeFields(form);
      form.addEventListener("change", function (event) {
        if (event.target.name === "type") showTypeFields(form);
      });
    });
    root.querySelectorAll("[data-condition]").forEach(function (fieldset) {
      showConditionValues(fieldset);
      fieldset.addEventListener("change", function (event) {
        if (event.target.tagName === "SELECT") showConditionValues(fieldset);
      });
    });
    root.querySelectorAll("[data-sortable]").forEach(makeSortable);
    if (root !== document.body) focusForm(root);
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 400 && event.detail.elt.closest("[data-builder], .builder-form")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  // After settling, htmx has wired up the new buttons: a key pressed on the focused one is
  // handled by htmx, not submitted as a plain form.
  document.addEventListener("htmx:afterSettle", focusAfterSwap);
  document.addEventListener("DOMContentLoaded", focusAfterSwap);
})();
