// The reservation's countdown: minutes and seconds left; at zero the form can no longer be sent.
(function () {
  "use strict";
  function start() {
    var box = document.querySelector(".countdown[data-expires]");
    if (!box) { return; }
    var left = box.querySelector(".countdown-left");
    var expires = Date.parse(box.getAttribute("data-expires"));
    function tick() {
      var seconds = Math.max(0, Math.round((expires - Date.now()) / 1000));
      left.textContent = Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
      if (seconds === 0) {
        box.classList.add("expired");
        box.setAttribute("role", "alert");
        box.textContent = box.getAttribute("data-expired-text");
        document.querySelectorAll(".checkout button[type=submit]").forEach(function (b) { b.disabled = true; });
        return;
      }
      window.setTimeout(tick, 1000);
    }
    tick();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
