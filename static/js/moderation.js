// Progressive enhancement for the moderation queue: a "select all" box and a live count of
// the selected items. Everything works without it.
(function () {
  "use strict";
  var form = document.getElementById("bulk-form");
  if (!form) { return; }
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input.mod-select"));
  if (!boxes.length) { return; }
  var status = document.createElement("p");
  status.className = "mod-selected-count";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  var all = document.createElement("input");
  all.type = "checkbox";
  all.id = "mod-select-all";
  var label = document.createElement("label");
  label.htmlFor = all.id;
  label.textContent = form.getAttribute("data-select-all") || "Select all";
  var wrap = document.createElement("div");
  wrap.className = "field-check";
  wrap.appendChild(all);
  wrap.appendChild(label);
  form.insertBefore(wrap, form.firstChild);
  form.insertBefore(status, wrap.nextSibling);
  var template = form.getAttribute("data-selected") || "{n} selected";
  function update() {
    var n = boxes.filter(function (b) { return b.checked; }).length;
    status.textContent = template.replace("{n}", String(n));
    all.checked = n === boxes.length;
  }
  all.addEventListener("change", function () {
    boxes.forEach(function (b) { b.checked = all.checked; });
    update();
  });
  boxes.forEach(function (b) { b.addEventListener("change", update); });
  update();
}());
