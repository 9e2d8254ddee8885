// Countdown from the server's remaining time (not the phone's clock), announced to screen
// readers at 2 minutes and 30 seconds, and a submit at zero. The server enforces the
// deadline on its own; this only keeps the contestant informed.
(function () {
  "use strict";
  var timer = document.getElementById("timer");
  if (!timer) { return; }
  var valueEl = document.getElementById("timer-value");
  var announceEl = document.getElementById("timer-announce");
  var form = document.getElementById("autosubmit");
  var endsAt = performance.now() + Number(timer.getAttribute("data-remaining-ms"));
  var announced = {};
  var submitted = false;
  // The words come from the page, in the contestant's language.
  var MARKS = [[120000, timer.getAttribute("data-say-2min")], [30000, timer.getAttribute("data-say-30s")]];

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function tick() {
    var left = Math.max(0, endsAt - performance.now());
    var seconds = Math.ceil(left / 1000);
    valueEl.textContent = pad(Math.floor(seconds / 60)) + ":" + pad(seconds % 60);
    timer.classList.toggle("low", left <= 60000);
    MARKS.forEach(function (mark) {
      if (left <= mark[0] && left > mark[0] - 5000 && !announced[mark[0]]) {
        announced[mark[0]] = true;
        announceEl.textContent = mark[1];
      }
    });
    if (left <= 0 && !submitted && form) {
      submitted = true;
      announceEl.textContent = timer.getAttribute("data-say-end");
      form.submit();
      return;
    }
    window.setTimeout(tick, 250);
  }
  tick();
})();
