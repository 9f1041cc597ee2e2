// Export job page: follow the job's progress without reloading (the page works without it).
(function () {
  "use strict";
  var box = document.getElementById("job-status");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-url");
  var bar = box.querySelector("progress");
  var state = box.querySelector(".job-state");
  var download = document.getElementById("job-download");
  function show(job) {
    if (bar) { bar.value = job.progress; bar.textContent = job.progress + " %"; }
    if (job.status === "done") {
      state.textContent = box.getAttribute("data-done");
      if (download) { download.hidden = false; }
      return true;
    }
    if (job.status === "failed") {
      state.textContent = box.getAttribute("data-failed") + (job.error ? " " + job.error : "");
      state.classList.add("job-failed");
      return true;
    }
    state.textContent = box.getAttribute("data-running") + " " + job.progress + " %";
    return false;
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (job && show(job)) { return; }
        window.setTimeout(poll, 1500);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  if (!download || download.hidden) { window.setTimeout(poll, 1000); }
}());
