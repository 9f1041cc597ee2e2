// Progressive enhancement for the idea form: while a person types a title, list existing
// ideas with similar titles (the server shows the same list on submission without JS).
(function () {
  "use strict";
  var form = document.querySelector("form[data-similar-url]");
  if (!form) { return; }
  var title = form.querySelector("#title");
  var box = document.getElementById("similar-live");
  if (!title || !box || !window.fetch) { return; }
  var timer = null;
  var last = "";

  function show(items) {
    box.textContent = "";
    if (!items.length) { return; }
    var heading = document.createElement("p");
    heading.textContent = box.getAttribute("data-heading") || "Similar ideas already exist:";
    box.appendChild(heading);
    var list = document.createElement("ul");
    items.forEach(function (item) {
      var li = document.createElement("li");
      var link = document.createElement("a");
      link.href = item.url;
      link.textContent = item.title;  // text, never HTML
      li.appendChild(link);
      list.appendChild(li);
    });
    box.appendChild(list);
  }

  function lookup() {
    var value = title.value.trim();
    if (value.length < 4 || value === last) { return; }
    last = value;
    var url = form.getAttribute("data-similar-url") + "?title=" + encodeURIComponent(value);
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (data) { show(data.items || []); })
      .catch(function () { /* the server-side check still runs on submission */ });
  }

  title.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(lookup, 400);
  });
})();
