// A small rich-text editor for the admin's rules and announcements: a toolbar over a
// contenteditable area that writes its HTML back into the original <textarea>, so the
// form posts exactly as it does without JavaScript. The server sanitizes whatever comes.
(function () {
  "use strict";

  var BUTTONS = [
    ["bold", "Đậm", "B"],
    ["italic", "Nghiêng", "I"],
    ["underline", "Gạch chân", "U"],
    ["h3", "Tiêu đề mục", "Tiêu đề"],
    ["p", "Đoạn văn thường", "Đoạn"],
    ["insertUnorderedList", "Danh sách gạch đầu dòng", "• Danh sách"],
    ["insertOrderedList", "Danh sách đánh số", "1. Danh sách"],
    ["blockquote", "Trích dẫn", "Trích dẫn"],
    ["createLink", "Chèn liên kết", "Liên kết"],
    ["removeFormat", "Bỏ định dạng", "Bỏ định dạng"],
  ];

  function run(command, editor) {
    editor.focus();
    if (command === "h3" || command === "p" || command === "blockquote") {
      document.execCommand("formatBlock", false, command);
    } else if (command === "createLink") {
      var url = window.prompt("Địa chỉ liên kết (bắt đầu bằng https://):", "https://");
      if (url && /^(https?:\/\/|mailto:)/i.test(url)) {
        document.execCommand("createLink", false, url);
      }
    } else {
      document.execCommand(command, false, null);
    }
  }

  function enhance(textarea) {
    var wrap = document.createElement("div");
    wrap.className = "rich-editor";
    var bar = document.createElement("div");
    bar.className = "rich-toolbar";
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", "Định dạng văn bản");
    var editor = document.createElement("div");
    editor.className = "rich-area";
    editor.contentEditable = "true";
    editor.setAttribute("role", "textbox");
    editor.setAttribute("aria-multiline", "true");
    var label = document.querySelector('label[for="' + textarea.id + '"]');
    if (label) {
      label.id = label.id || textarea.id + "-label";
      editor.setAttribute("aria-labelledby", label.id);
    }
    editor.innerHTML = textarea.value;

    function sync() { textarea.value = editor.innerHTML; }

    BUTTONS.forEach(function (spec) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "rich-button";
      button.textContent = spec[2];
      button.title = spec[1];
      button.setAttribute("aria-label", spec[1]);
      button.addEventListener("mousedown", function (event) { event.preventDefault(); });
      button.addEventListener("click", function () { run(spec[0], editor); sync(); });
      bar.appendChild(button);
    });

    var toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "rich-button rich-toggle";
    toggle.textContent = "Sửa mã HTML";
    toggle.setAttribute("aria-pressed", "false");
    toggle.addEventListener("click", function () {
      var showSource = textarea.hidden;
      if (showSource) { sync(); } else { editor.innerHTML = textarea.value; }
      textarea.hidden = !showSource;
      editor.hidden = showSource;
      toggle.setAttribute("aria-pressed", showSource ? "true" : "false");
    });
    bar.appendChild(toggle);

    // Pasted text from Word or a web page arrives as plain text; formatting is redone here.
    editor.addEventListener("paste", function (event) {
      var text = (event.clipboardData || window.clipboardData).getData("text/plain");
      if (text) {
        event.preventDefault();
        document.execCommand("insertText", false, text);
      }
    });
    editor.addEventListener("input", sync);
    textarea.addEventListener("input", function () { editor.innerHTML = textarea.value; });
    if (textarea.form) {
      textarea.form.addEventListener("submit", function () { if (textarea.hidden) { sync(); } });
    }

    textarea.parentNode.insertBefore(wrap, textarea);
    wrap.appendChild(bar);
    wrap.appendChild(editor);
    wrap.appendChild(textarea);
    textarea.hidden = true;
  }

  function init() {
    document.querySelectorAll("textarea[data-richtext]").forEach(enhance);
    document.querySelectorAll("button[data-preview-for]").forEach(function (b) { b.hidden = false; });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
