/* Ballot page, progressive enhancement: without this file every button posts and the page
   reloads. With it, add/remove/points/move requests are sent in the background, the ballot is
   redrawn from the server (the server stays the only judge of the rules) and the new total is
   announced to screen readers through the live region #ballot-live. */
(function () {
  "use strict";
  var app = document.getElementById("ballot-app");
  var live = document.getElementById("ballot-live");
  if (!app || !window.fetch || !window.FormData) { return; }

  function announce() {
    var status = document.getElementById("ballot-status");
    var problems = app.querySelector(".flash-error");
    var text = status ? status.getAttribute("data-announce") : "";
    if (problems) { text = problems.textContent + " " + text; }
    if (live) {
      live.textContent = "";
      window.setTimeout(function () { live.textContent = text; }, 50);
    }
  }

  function redraw(focusId) {
    return fetch(app.getAttribute("data-fragment-url"), {
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.text();
    }).then(function (html) {
      app.innerHTML = html;
      var target = focusId && document.getElementById(focusId);
      if (target) { target.focus(); }
      announce();
    });
  }

  app.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("js-ballot")) { return; }
    event.preventDefault();
    var button = event.submitter || form.querySelector("button[type=submit]");
    var focusId = button ? button.getAttribute("data-focus") : null;
    app.classList.add("is-busy");
    app.setAttribute("aria-busy", "true");
    // The form has an input named "action", which shadows form.action: read the attribute.
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      redirect: "manual",  // the redirect target would use up the flashed message
      headers: { "X-Requested-With": "fetch" }
    }).then(function (response) {
      if (response.status >= 500) { throw new Error("HTTP " + response.status); }
      return redraw(focusId);
    }).catch(function () {
      form.submit();  // fall back to the plain form post
    }).then(function () {
      app.classList.remove("is-busy");
      app.removeAttribute("aria-busy");
    });
  });
})();
