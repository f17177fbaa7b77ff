// The episode form: "Insert figure" places the figure where the cursor was in the Norwegian
// text, by sending the cursor's position with the form (without JavaScript it goes at the end).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var body = document.getElementById("id_body");
    var cursor = document.getElementById("id_cursor");
    if (!body || !cursor) {
      return;
    }
    var remember = function () {
      cursor.value = String(body.selectionStart);
    };
    ["keyup", "click", "select", "blur"].forEach(function (name) {
      body.addEventListener(name, remember);
    });
  });
})();
