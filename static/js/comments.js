// Progressive enhancement for comments: every flow works without this file.
(function () {
  "use strict";
  // Opening a reply box puts the cursor in it.
  document.querySelectorAll(".comment-reply").forEach(function (details) {
    details.addEventListener("toggle", function () {
      if (details.open) {
        var box = details.querySelector("textarea");
        if (box) { box.focus(); }
      }
    });
  });
  // Ask before leaving a page with an unsent comment.
  var dirty = false;
  document.querySelectorAll(".comment-form textarea").forEach(function (box) {
    box.addEventListener("input", function () { dirty = box.value.trim() !== ""; });
  });
  document.querySelectorAll(".comment-form").forEach(function (form) {
    form.addEventListener("submit", function () { dirty = false; });
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });
})();
