/* The banner's live parts: a countdown to the round's next change, and the banner's height
   posted to the embedding page, only ever to the exact origin the server accepted. */
(function () {
  "use strict";
  var root = document.querySelector("[data-banner]");
  if (!root) return;
  var parentOrigin = root.getAttribute("data-parent-origin");
  var HEIGHT = "contest-banner:height", HELLO = "contest-banner:hello";
  var lastHeight = -1;

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function countdownText(ms) {
    var s = Math.floor(ms / 1000), days = Math.floor(s / 86400);
    s %= 86400;
    return (days ? days + " ngày " : "") + pad(Math.floor(s / 3600)) + ":" +
      pad(Math.floor(s % 3600 / 60)) + ":" + pad(s % 60);
  }

  function startCountdown(count) {
    var deadline = Date.parse(count.getAttribute("data-deadline"));
    var label = count.parentNode.querySelector("[data-live]");
    if (isNaN(deadline)) return;
    if (label) label.textContent = label.getAttribute("data-live");
    // Banners loaded from a cache after the deadline wait before asking again, so a
    // stale copy never turns into a reload loop; live ones spread their reloads out.
    var wait = deadline <= Date.now() ? 30000 : 2000 + Math.random() * 13000;
    var timer = setInterval(function () {
      var left = deadline - Date.now();
      if (left > 0) { count.textContent = countdownText(left); return; }
      clearInterval(timer);
      count.textContent = "Đang cập nhật…";
      setTimeout(function () { location.reload(); }, wait);
    }, 1000);
    if (deadline > Date.now()) count.textContent = countdownText(deadline - Date.now());
  }

  function reportHeight(force) {
    if (!parentOrigin || window.parent === window) return;
    var height = Math.ceil(root.getBoundingClientRect().height);
    if (height === lastHeight && !force) return;
    lastHeight = height;
    window.parent.postMessage({ type: HEIGHT, height: height }, parentOrigin);
  }

  var count = root.querySelector("[data-deadline]");
  if (count) startCountdown(count);
  if (window.ResizeObserver) {
    new ResizeObserver(function () { reportHeight(false); }).observe(root);
  } else {
    window.addEventListener("resize", function () { reportHeight(false); });
  }
  reportHeight(false);
  window.addEventListener("message", function (event) {
    if (!parentOrigin || event.origin !== parentOrigin || event.source !== window.parent) return;
    if (event.data && event.data.type === HELLO) reportHeight(true);
  });
})();
