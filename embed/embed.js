/* Contest banner loader. Paste on a host page:
     <script async src="https://PORTAL/embed.js" data-size="300x250" data-theme="blue"
             data-src="site-key"></script>
   It inserts the banner's iframe right after this <script> tag and keeps the iframe as
   tall as the banner reports, accepting messages only from the portal's exact origin.
   No dependencies; safe to include several times on one page. */
(function () {
  "use strict";
  var SIZES = { "728x90": [728, 90], "300x250": [300, 250], "320x100": [320, 100], "responsive": [0, 160] };
  var HEIGHT = "contest-banner:height", HELLO = "contest-banner:hello";
  var MIN_HEIGHT = 40, MAX_HEIGHT = 1200;

  var script = document.currentScript;
  if (!script || !script.src || script.getAttribute("data-banner-loaded")) return;
  script.setAttribute("data-banner-loaded", "1");
  // The portal is wherever this file came from: no origin is written into the file.
  var portal = new URL(script.src, location.href).origin;

  function attr(name) { return (script.getAttribute(name) || "").trim(); }

  var size = Object.prototype.hasOwnProperty.call(SIZES, attr("data-size")) ? attr("data-size") : "300x250";
  var query = new URLSearchParams({ size: size, theme: attr("data-theme"), src: attr("data-src"),
                                    origin: location.origin });
  var frame = document.createElement("iframe");
  frame.src = portal + "/embed/banner?" + query.toString();
  frame.title = attr("data-title") || "Banner cuộc thi trực tuyến";
  // The banner may open the portal in a new tab, never navigate the host page itself. (On
  // the portal's own pages, the admin preview, a sandbox could be lifted from inside, so
  // there is none.)
  if (portal !== location.origin) {
    frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox");
  }
  frame.setAttribute("loading", "lazy");
  frame.setAttribute("scrolling", "no");
  frame.style.cssText = "display:block;border:0;margin:0;padding:0;max-width:100%;overflow:hidden;";
  if (SIZES[size][0]) {
    frame.width = String(SIZES[size][0]);
  } else {
    frame.style.width = "100%";
  }
  frame.height = String(SIZES[size][1]);
  frame.style.height = SIZES[size][1] + "px";

  window.addEventListener("message", function (event) {
    if (event.origin !== portal || event.source !== frame.contentWindow) return;
    var data = event.data;
    if (!data || data.type !== HEIGHT) return;
    var height = Math.ceil(Number(data.height));
    if (height >= MIN_HEIGHT && height <= MAX_HEIGHT) frame.style.height = height + "px";
  });
  frame.addEventListener("load", function () {
    // The banner reports whenever its height changes; asking once after load as well
    // keeps the size right even if a report was missed. Sent to the portal's origin only.
    if (frame.contentWindow) frame.contentWindow.postMessage({ type: HELLO }, portal);
  });
  script.parentNode.insertBefore(frame, script.nextSibling);
})();
