// The door scanner: reads QR codes with the camera (the browser's BarcodeDetector, or the
// zxing-based ponyfill served from this site), or takes a typed code or a search result, and
// checks the ticket in through POST /api/v1/checkins/ with a nonce made for that scan. A scan
// that cannot reach the server waits in localStorage and is sent again, with the same nonce,
// when the phone is back online: the server answers a replayed nonce as it did the first time.
(function () {
  "use strict";
  var root, result, queueNote, deviceInput, video, detector, lastCode = "", lastAt = 0, sending = false;
  var QUEUE_KEY = "ks-checkin-queue";
  var DEVICE_KEY = "ks-checkin-device";

  function queue() {
    try { return JSON.parse(window.localStorage.getItem(QUEUE_KEY) || "[]"); } catch (e) { return []; }
  }
  function saveQueue(items) {
    window.localStorage.setItem(QUEUE_KEY, JSON.stringify(items));
    queueNote.hidden = items.length === 0;
    queueNote.textContent = root.dataset.queueText + " " + items.length;
  }
  function nonce() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }
  function show(kind, title, detail) {
    result.hidden = false;
    result.className = "scan-result " + kind;
    result.textContent = "";
    var name = document.createElement("span");
    name.className = "scan-name";
    name.textContent = title;
    result.appendChild(name);
    if (detail) {
      var more = document.createElement("span");
      more.className = "scan-detail";
      more.textContent = detail;
      result.appendChild(more);
    }
    result.focus();
    if (navigator.vibrate) { navigator.vibrate(kind === "ok" ? 80 : [80, 60, 80]); }
  }
  function post(scan) {
    return fetch(root.dataset.api, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": root.dataset.csrf,
        "Accept": "application/json",
        "Accept-Language": document.documentElement.lang || "nb"
      },
      body: JSON.stringify({ event: Number(root.dataset.event), secret: scan.secret, nonce: scan.nonce, device: scan.device })
    });
  }
  function answer(response, body) {
    if (body && body.result === "ok") {
      show("ok", body.name || body.ticket, [body.company, body.ticket_type].filter(Boolean).join(" · ") + " — " + body.message);
    } else if (body && body.result) {
      show("bad", body.message, [body.name, body.ticket].filter(Boolean).join(" · "));
    } else {
      show("bad", root.dataset.errorText, body && body.detail ? String(body.detail) : String(response.status));
    }
  }
  function checkIn(secret) {
    var scan = { secret: secret, nonce: nonce(), device: deviceInput.value.trim() };
    post(scan).then(function (response) {
      return response.json().then(function (body) { answer(response, body); }, function () { answer(response, null); });
    }, function () {
      var items = queue();
      items.push(scan);
      saveQueue(items);
      show("offline", root.dataset.offlineText, "");
    });
  }
  function replay() {
    var items = queue();
    if (sending || items.length === 0 || !navigator.onLine) { return; }
    sending = true;
    post(items[0]).then(function () {
      saveQueue(queue().slice(1));
      sending = false;
      replay();
    }, function () { sending = false; });
  }
  function onCode(code) {
    var now = Date.now();
    if (code === lastCode && now - lastAt < 4000) { return; }
    lastCode = code;
    lastAt = now;
    checkIn(code);
  }
  function makeDetector() {
    if ("BarcodeDetector" in window) {
      return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf("qr_code") >= 0) { return new window.BarcodeDetector({ formats: ["qr_code"] }); }
        return ponyfill();
      });
    }
    return Promise.resolve(ponyfill());
  }
  function ponyfill() {
    var api = window.BarcodeDetectionAPI;
    var wasm = root.dataset.wasm;
    api.prepareZXingModule({
      overrides: { locateFile: function (path, prefix) { return path.endsWith(".wasm") ? wasm : prefix + path; } }
    });
    return new api.BarcodeDetector({ formats: ["qr_code"] });
  }
  function scanLoop() {
    if (video.readyState >= 2) {
      detector.detect(video).then(function (codes) {
        if (codes.length) { onCode(codes[0].rawValue); }
        window.setTimeout(scanLoop, 200);
      }, function () { window.setTimeout(scanLoop, 500); });
    } else {
      window.setTimeout(scanLoop, 200);
    }
  }
  function startCamera(button) {
    button.disabled = true;
    makeDetector().then(function (made) {
      detector = made;
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      button.hidden = true;
      return video.play();
    }).then(scanLoop, function () {
      button.disabled = false;
      show("bad", root.dataset.cameraText, "");
    });
  }
  function init() {
    root = document.getElementById("scanner");
    if (!root) { return; }
    result = document.getElementById("scan-result");
    queueNote = document.getElementById("scan-queue");
    deviceInput = document.getElementById("device-name");
    video = document.getElementById("camera");
    deviceInput.value = window.localStorage.getItem(DEVICE_KEY) || "";
    deviceInput.addEventListener("change", function () { window.localStorage.setItem(DEVICE_KEY, deviceInput.value.trim()); });
    document.getElementById("camera-start").addEventListener("click", function (event) { startCamera(event.currentTarget); });
    document.getElementById("manual-scan").addEventListener("submit", function (event) {
      event.preventDefault();
      var input = document.getElementById("manual-secret");
      if (input.value.trim()) { checkIn(input.value.trim()); }
      input.value = "";
    });
    document.getElementById("search-results").addEventListener("click", function (event) {
      var button = event.target.closest(".checkin-button");
      if (button) { button.disabled = true; checkIn(button.dataset.secret); }
    });
    saveQueue(queue());
    window.addEventListener("online", replay);
    window.setInterval(replay, 10000);
    replay();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
