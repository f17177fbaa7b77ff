// The live page: ask for the revealed winners every two seconds; the server answers 304 while
// nothing changed, and the list is replaced (and announced) only when it did.
(function () {
  "use strict";
  var feed = document.getElementById("live-feed");
  if (!feed || !window.fetch) return;
  var url = feed.getAttribute("data-feed-url");
  var etag = feed.getAttribute("data-etag") || null;
  var busy = false;

  function poll() {
    if (busy || document.hidden) return;
    busy = true;
    var headers = { "X-Requested-With": "fetch" };
    if (etag) headers["If-None-Match"] = etag;
    fetch(url, { headers: headers, cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 200) {
          etag = response.headers.get("ETag");
          return response.text().then(function (html) {
            feed.innerHTML = html;
          });
        }
      })
      .catch(function () { /* offline for a moment: the next poll tries again */ })
      .then(function () { busy = false; });
  }

  poll();
  window.setInterval(poll, 2000);
  document.addEventListener("visibilitychange", poll);
})();
