// The respondent's page (/s/<token>/, /p/<slug>/): autosave that costs few requests and says
// honestly what is saved, and focus that follows the page.
//
// - A change is saved after a pause (QUIET ms without typing or clicking; at the latest LONGEST
//   ms after it), not on every click;
//   an answer other questions depend on (data-branching) is saved at once, and the reply shows
//   or hides those questions without touching what the respondent is typing elsewhere.
// - When the page is hidden or left (visibilitychange, pagehide) unsaved answers go as a beacon.
// - "Saved" is shown only when the server said so; a failed save says so and is retried.
// - "Next", "Back" and "Submit" post with htmx (hx-post on the form); after the new page is in,
//   focus moves to its error summary or its heading.
(function () {
  "use strict";

  var QUIET = 4000;
  var LONGEST = 10000; // typing without a pause is still saved this often
  var BRANCHING_DELAY = 250;
  var RETRY = 5000;
  var timer = null;
  var inFlight = false;
  var changes = 0; // changes made on this page
  var savedChanges = 0; // changes the server has confirmed
  var unsavedSince = 0; // when the oldest change not yet sent was made

  function form() {
    return document.querySelector("form[data-respond]");
  }

  function statusBox() {
    return document.querySelector("[data-save-status]");
  }

  function say(kind) {
    var box = statusBox();
    if (!box) return;
    box.textContent = kind ? box.getAttribute("data-" + kind) || "" : "";
    box.classList.toggle("save-failed", kind === "failed");
  }

  function dirty() {
    return changes !== savedChanges;
  }

  function schedule(delay) {
    if (timer) clearTimeout(timer);
    if (!unsavedSince) unsavedSince = Date.now();
    var left = Math.max(0, unsavedSince + LONGEST - Date.now());
    timer = setTimeout(save, Math.min(delay, left));
  }

  function payload(f, extra) {
    var data = new FormData(f);
    data.set("action", "stay");
    Object.keys(extra || {}).forEach(function (k) {
      data.set(k, extra[k]);
    });
    return data;
  }

  function save() {
    timer = null;
    var f = form();
    if (!f || !dirty()) return;
    if (inFlight) {
      schedule(BRANCHING_DELAY);
      return;
    }
    inFlight = true;
    unsavedSince = 0;
    var sent = changes;
    say("saving");
    fetch(window.location.href, {
      method: "POST",
      body: payload(f, { "@shown": shownOnPage(f) }),
      headers: { "X-Autosave": "1" },
      credentials: "same-origin",
    })
      .then(function (reply) {
        if (!reply.ok) throw new Error(String(reply.status));
        // 204: saved, and the page already shows what the answers show (see shownOnPage).
        return reply.status === 204 ? "" : reply.text();
      })
      .then(function (html) {
        inFlight = false;
        if (!f.isConnected) return; // the page moved on meanwhile
        savedChanges = Math.max(savedChanges, sent);
        if (html) showBranching(f, html);
        if (dirty()) {
          say("");
          schedule(QUIET);
        } else {
          say("saved");
        }
      })
      .catch(function () {
        inFlight = false;
        if (!f.isConnected) return;
        say("failed");
        schedule(RETRY);
      });
  }

  // What of the page depends on the answers: each question's id and data-shown, a line each
  // (surveys/views/answering.py shown_on_page computes the same on the server). When the saved
  // answers leave it unchanged, the server replies 204 without a page.
  function shownOnPage(f) {
    var container = f.querySelector("#questions");
    if (!container) return "";
    return Array.prototype.map
      .call(container.querySelectorAll(":scope > .question"), function (node) {
        return node.id + "=" + (node.getAttribute("data-shown") || "");
      })
      .join("\n");
  }

  // Show the questions the saved answers open and drop those they close; questions on the page
  // in both stay as they are (with what is typed in them and the focus), unless what they show
  // depends on the answers and changed (data-shown: a choice filter's options, a piped label).
  function showBranching(f, html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    var container = f.querySelector("#questions");
    var wanted = fresh.querySelectorAll("#questions > .question");
    if (!container || !wanted.length) return;
    var ids = {};
    wanted.forEach(function (node) {
      ids[node.id] = true;
    });
    container.querySelectorAll(":scope > .question").forEach(function (node) {
      if (!ids[node.id]) node.remove();
    });
    var previous = null;
    wanted.forEach(function (node) {
      var element = document.getElementById(node.id);
      if (element && element.getAttribute("data-shown") !== node.getAttribute("data-shown")) {
        element.remove();
        element = null;
      }
      element = element || document.importNode(node, true);
      if (previous) {
        if (previous.nextElementSibling !== element) previous.after(element);
      } else {
        var first = container.querySelector(":scope > .question");
        if (first !== element) {
          var top = container.querySelector(":scope > .lead") || container.querySelector(":scope > h1");
          top.after(element);
        }
      }
      previous = element;
    });
    setUpPickers(container);
  }

  function onChange(event) {
    var f = form();
    if (!f || !f.contains(event.target) || !event.target.name) return;
    changes += 1;
    var branching = (f.getAttribute("data-branching") || "").split(" ");
    var now = event.type === "change" && branching.indexOf(event.target.name) >= 0;
    schedule(now ? BRANCHING_DELAY : QUIET);
  }

  // The page is being hidden or left: what is not saved yet goes as a beacon (no reply is read).
  function flush() {
    var f = form();
    if (!f || !dirty() || !navigator.sendBeacon) return;
    if (timer) clearTimeout(timer);
    timer = null;
    if (navigator.sendBeacon(window.location.href, payload(f, { beacon: "1" }))) {
      savedChanges = changes;
    }
  }

  function focusPage() {
    var target = document.getElementById("error-summary") || document.querySelector("#questions h1");
    if (target) target.focus();
  }

  document.addEventListener("input", onChange);
  document.addEventListener("change", onChange);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") flush();
  });
  window.addEventListener("pagehide", flush);

  // "Next", "Back", "Submit": the post carries every answer on the page, so no autosave is due.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt !== form()) return;
    if (timer) clearTimeout(timer);
    timer = null;
    unsavedSince = 0;
    savedChanges = changes;
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.elt && event.detail.elt.id === "survey") {
      changes = savedChanges = 0;
      focusPage();
    }
  });
  document.addEventListener("htmx:sendError", function () {
    say("failed");
  });

  // An error summary's link moves the focus to the question's input, not just the scroll.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("#error-summary a[href^='#']");
    if (!link) return;
    var input = document.getElementById(link.getAttribute("href").slice(1));
    if (!input) return;
    event.preventDefault();
    var question = input.closest(".question");
    (question || input).scrollIntoView();
    input.focus({ preventScroll: true });
  });

  // A long picker's search box (rendered hidden, shown here): typing narrows the select's options
  // to those containing the text; the empty choice, the chosen one and "other" always stay.
  function setUpPickers(root) {
    root.querySelectorAll("[data-picker-search]").forEach(function (box) {
      var select = document.getElementById(box.getAttribute("data-picker-search"));
      var input = box.querySelector("input");
      if (!select || !input || box.dataset.ready) return;
      box.dataset.ready = "1";
      box.hidden = false;
      var all = Array.prototype.slice.call(select.options);
      input.addEventListener("input", function () {
        var text = input.value.trim().toLocaleLowerCase();
        var chosen = select.value;
        select.replaceChildren.apply(
          select,
          all.filter(function (option) {
            return (
              !option.value ||
              option.hasAttribute("data-keep") ||
              option.value === chosen ||
              option.text.toLocaleLowerCase().indexOf(text) >= 0
            );
          })
        );
        select.value = chosen;
      });
      input.addEventListener("keydown", function (event) {
        if (event.key === "Enter") event.preventDefault(); // Enter here searches, not "Next"
      });
    });
  }
  document.addEventListener("htmx:afterSettle", function () {
    setUpPickers(document);
  });

  function ready() {
    setUpPickers(document);
    if (document.getElementById("error-summary")) focusPage();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
