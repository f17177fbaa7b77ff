// Temperature updates: a recording plays in the privacy-enhanced player only once the reader
// presses play; until then nothing is requested from the video host. Only the two players the
// server offers are ever framed.
(function () {
  "use strict";
  var PLAYERS = /^https:\/\/(www\.youtube-nocookie\.com\/embed\/[A-Za-z0-9_-]{11}|player\.vimeo\.com\/video\/[0-9]{1,12}\?dnt=1)$/;

  function play(container) {
    var src = container.getAttribute("data-embed-src") || "";
    if (!PLAYERS.test(src)) {
      return;
    }
    var frame = document.createElement("iframe");
    frame.src = src + (src.indexOf("?") === -1 ? "?autoplay=1" : "&autoplay=1");
    frame.title = container.getAttribute("data-embed-title") || "";
    frame.className = "video-frame";
    frame.setAttribute("allow", "autoplay; fullscreen; picture-in-picture");
    frame.setAttribute("allowfullscreen", "");
    frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
    container.replaceChildren(frame);
    frame.focus();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".video-play");
    if (button) {
      play(button.closest(".video-embed"));
    }
  });
})();
