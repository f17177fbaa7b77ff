// A question's constraint (an XLSForm `constraint`) checked on the page as the respondent leaves
// the field or changes a choice: its message is shown beside the question (aria-describedby,
// aria-invalid) without asking the server, and goes when the answer is accepted. The server
// still checks every answer it saves (surveys/answers.py, check_constraint); this only says
// it sooner.
//
// The question carries (question.html):
//   data-constraint          the condition, as is_shown reads it (`.` is the question's own key)
//   data-constraint-answers  saved answers it reads from earlier pages
//   data-constraint-message  what to say, in the page's language
// The answers on this page are read from its inputs as the server would clean them
// (surveys/answers.py, clean); an input the server would refuse for another reason is left to it.
(function () {
  "use strict";

  var conditions = window.kundeservice && window.kundeservice.conditions;
  if (!conditions) return;
  var NA = conditions.NA;
  var UNCHECKED = {}; // the input holds something clean() refuses: the server says what

  var NUMBER_TYPES = ["number", "duration", "rating", "nps"];
  var SPACES = /\s+/g;

  function parseJSON(text, fallback) {
    try {
      return JSON.parse(text);
    } catch (error) {
      return fallback;
    }
  }

  // answers._clean_number: full-width forms folded, "," as ".", spaces dropped, then float().
  function cleanNumber(type, text) {
    var number = conditions.pyFloat(text.normalize("NFKC").replace(/,/g, ".").replace(SPACES, ""));
    if (number === null || !Number.isFinite(number)) return UNCHECKED;
    if (type === "rating" || type === "nps") return Number.isInteger(number) ? number : UNCHECKED;
    if (number < 0 || number > 1000000) return UNCHECKED;
    return number;
  }

  // What the server's clean() makes of the question's inputs: a value, undefined when
  // unanswered, or UNCHECKED.
  function answerOf(question) {
    var key = question.getAttribute("data-key");
    var type = question.getAttribute("data-type");
    var values = [];
    question.querySelectorAll("input, textarea, select").forEach(function (input) {
      if (input.name !== key) return;
      if ((input.type === "checkbox" || input.type === "radio") && !input.checked) return;
      if (input.value.trim() !== "") values.push(input.value.trim());
    });
    if (values.indexOf(NA) >= 0) return NA;
    if (!values.length) return undefined;
    if (type === "multiple_choice") return values;
    if (values.length > 1) return UNCHECKED;
    var value = values[0];
    if (NUMBER_TYPES.indexOf(type) >= 0) return cleanNumber(type, value);
    if (type === "time") return value.slice(0, 5);
    if (type === "datetime") return value.slice(0, 16);
    if (type === "company" && value.indexOf("__other__") === 0) {
      var other = question.querySelector("[name='" + key + "__other']");
      var name = other ? other.value.trim() : "";
      return name ? "__other__:" + name : UNCHECKED;
    }
    if (type === "text" && value.length > 5000) return UNCHECKED;
    return value;
  }

  function target(question) {
    var key = question.getAttribute("data-key");
    return document.getElementById("in-" + key) || question.querySelector("fieldset");
  }

  function describedBy(element, id, on) {
    var ids = (element.getAttribute("aria-describedby") || "").split(" ").filter(function (t) {
      return t && t !== id;
    });
    if (on) ids.unshift(id);
    if (ids.length) element.setAttribute("aria-describedby", ids.join(" "));
    else element.removeAttribute("aria-describedby");
  }

  function show(question, message) {
    var key = question.getAttribute("data-key");
    var id = "err-" + key;
    var box = document.getElementById(id);
    var field = target(question);
    if (!box) {
      box = document.createElement("p");
      box.className = "field-error";
      box.id = id;
      if (field && field.tagName === "FIELDSET") {
        var before = field.querySelector(".help") || field.querySelector("legend");
        before.after(box);
      } else if (field) {
        field.before(box);
      } else {
        question.append(box);
      }
    }
    box.textContent = message;
    question.classList.add("has-error");
    if (!field) return;
    describedBy(field, id, true);
    if (field.tagName !== "FIELDSET") field.setAttribute("aria-invalid", "true");
  }

  // Takes away the constraint's message (the page's or the server's), not another error.
  function clear(question, message) {
    var key = question.getAttribute("data-key");
    var id = "err-" + key;
    var box = document.getElementById(id);
    if (!box || box.textContent !== message) return;
    box.remove();
    question.classList.remove("has-error");
    var field = target(question);
    if (!field) return;
    describedBy(field, id, false);
    field.removeAttribute("aria-invalid");
  }

  function check(question) {
    var key = question.getAttribute("data-key");
    var message = question.getAttribute("data-constraint-message") || "";
    var condition = parseJSON(question.getAttribute("data-constraint"), null);
    var own = answerOf(question);
    if (condition === null || own === undefined || own === NA || own === UNCHECKED) {
      clear(question, message);
      return;
    }
    // As the server: saved answers, then this page's (an input it would refuse keeps the
    // saved answer), then the answer being checked.
    var answers = parseJSON(question.getAttribute("data-constraint-answers"), {}) || {};
    question
      .closest("form")
      .querySelectorAll(".question[data-key]")
      .forEach(function (other) {
        var value = answerOf(other);
        var otherKey = other.getAttribute("data-key");
        if (value === undefined) delete answers[otherKey];
        else if (value !== UNCHECKED) answers[otherKey] = value;
      });
    answers[key] = own;
    var accepted;
    try {
      accepted = conditions.isShown(condition, answers);
    } catch (error) {
      return; // not a condition this page understands: the server judges
    }
    question.setAttribute("data-constraint-checked", "");
    if (accepted) clear(question, message);
    else show(question, message);
  }

  function isTyped(input) {
    return input.tagName === "TEXTAREA" || (input.tagName === "INPUT" && !/^(radio|checkbox)$/.test(input.type));
  }

  // While a pointer is down (the field was left by clicking elsewhere) the page waits for the
  // click to land before showing or taking away a message, which moves what is below it.
  var pointerDown = false;
  var pending = [];

  function later(question) {
    if (pending.indexOf(question) < 0) pending.push(question);
  }

  function run(questions) {
    questions.forEach(function (question) {
      if (question.isConnected) check(question);
    });
  }

  // A typed answer is checked when the field is left (focusout), a choice when it changes.
  // Leaving it for "Next" or "Back" checks nothing here: the server answers that post.
  function onLeave(event) {
    var input = event.target;
    var form = input && input.closest && input.closest("form");
    if (!form || !input.name) return;
    if (event.type === "change" && isTyped(input)) return;
    if (event.type === "focusout") {
      if (!isTyped(input)) return;
      var next = event.relatedTarget;
      if (next && next.type === "submit" && form.contains(next)) return;
    }
    var question = input.closest(".question[data-key]");
    var due = [];
    if (question && question.hasAttribute("data-constraint")) due.push(question);
    // A constraint already checked may read the answer that changed.
    form.querySelectorAll(".question[data-constraint-checked]").forEach(function (other) {
      if (other !== question) due.push(other);
    });
    if (pointerDown) due.forEach(later);
    else run(due);
  }

  function isTyped(input) {
    return (
      input.tagName === "TEXTAREA" ||
      (input.tagName === "INPUT" && !/^(radio|checkbox)$/.test(input.type))
    );
  }

  document.addEventListener("change", onLeave);
  document.addEventListener("focusout", onLeave);
  document.addEventListener("pointerdown", function () {
    pointerDown = true;
  });
  function released() {
    pointerDown = false;
    var due = pending;
    pending = [];
    if (due.length) setTimeout(run, 0, due); // after the click this pointer makes
  }
  document.addEventListener("pointerup", released);
  document.addEventListener("pointercancel", released);
})();
