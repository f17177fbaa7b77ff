// The presenter screen. Each category is two steps: its finalists, then its winner. Moving to
// the winner of a category not yet revealed asks the server to reveal it (one action, logged);
// a reveal can be undone for a minute. Keys: → or Space next, ← back, F full screen.
(function () {
  "use strict";
  var slides = Array.prototype.slice.call(document.querySelectorAll(".slide[data-reveal-url]"));
  if (!slides.length) return;
  var csrf = document.body.getAttribute("data-csrf");
  var undo = document.querySelector('[data-action="undo"]');
  var index = 0;
  var undoTimer = null;

  function current() { return slides[index]; }
  function revealed(slide) { return slide.getAttribute("data-revealed") === "1"; }

  function show(i) {
    slides.forEach(function (slide, n) { slide.hidden = n !== i; });
    index = i;
    var heading = current().querySelector("h1");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
  }

  function post(url) {
    var body = new URLSearchParams();
    return fetch(url, {
      method: "POST",
      headers: { "X-CSRFToken": csrf, "X-Requested-With": "fetch" },
      body: body,
      credentials: "same-origin",
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    });
  }

  function reveal() {
    var slide = current();
    var error = slide.querySelector(".slide-error");
    error.textContent = "";
    post(slide.getAttribute("data-reveal-url")).then(function (result) {
      if (!result.ok) { error.textContent = result.data.detail || ""; return; }
      var winner = slide.querySelector(".slide-winner");
      winner.innerHTML = result.data.html;
      winner.hidden = false;
      slide.setAttribute("data-revealed", "1");
      offerUndo(slide);
    }).catch(function () { error.textContent = "…"; });
  }

  function offerUndo(slide) {
    undo.hidden = false;
    undo.onclick = function () {
      post(slide.getAttribute("data-unreveal-url")).then(function (result) {
        if (!result.ok) { slide.querySelector(".slide-error").textContent = result.data.detail || ""; return; }
        slide.setAttribute("data-revealed", "0");
        slide.querySelector(".slide-winner").innerHTML = "";
        undo.hidden = true;
      });
    };
    window.clearTimeout(undoTimer);
    undoTimer = window.setTimeout(function () { undo.hidden = true; }, 60000);
  }

  function next() {
    var slide = current();
    if (!revealed(slide)) { reveal(); return; }
    if (index + 1 < slides.length) { undo.hidden = true; show(index + 1); }
  }

  function back() {
    if (index > 0) { undo.hidden = true; show(index - 1); }
  }

  function fullscreen() {
    if (document.fullscreenElement) { document.exitFullscreen(); }
    else if (document.documentElement.requestFullscreen) { document.documentElement.requestFullscreen(); }
  }

  document.addEventListener("keydown", function (event) {
    if (event.target.closest && event.target.closest("input, textarea, select")) return;
    if (event.key === "ArrowRight" || event.key === " " || event.key === "PageDown") { event.preventDefault(); next(); }
    else if (event.key === "ArrowLeft" || event.key === "PageUp") { event.preventDefault(); back(); }
    else if (event.key === "f" || event.key === "F") { fullscreen(); }
  });
  document.querySelector('[data-action="next"]').addEventListener("click", next);
  document.querySelector('[data-action="back"]').addEventListener("click", back);
  document.querySelector('[data-action="fullscreen"]').addEventListener("click", fullscreen);
})();
