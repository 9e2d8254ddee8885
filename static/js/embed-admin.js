/* The "Mã nhúng" page: a button that copies the snippet. Without script the snippet box is
   still there to select and copy by hand, so the button starts hidden. */
(function () {
  "use strict";
  var button = document.querySelector("[data-copy]");
  if (!button) return;
  var box = document.getElementById(button.getAttribute("data-copy"));
  var status = document.getElementById(button.getAttribute("data-status"));
  button.hidden = false;

  function done(ok) {
    status.textContent = ok ? "Đã sao chép mã nhúng." : "Chưa sao chép được: hãy chọn mã rồi nhấn Ctrl+C.";
  }

  button.addEventListener("click", function () {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(box.value).then(function () { done(true); }, function () { box.select(); done(false); });
    } else {
      box.select();
      done(false);
    }
  });
})();
