/* Budget simulator: live totals while residents move the sliders (progressive enhancement).
 * Without this script the "Recalculate" button does the same on the server, which also checks
 * every rule again on submit. Money is kept exact: BigInt minor units, like the server. */
(function () {
  "use strict";
  var form = document.getElementById("sim-form");
  if (!form || typeof BigInt === "undefined" || typeof Intl === "undefined") {
    return;
  }
  var ZERO = BigInt(0);
  var ONE = BigInt(1);
  var TWO = BigInt(2);
  var TEN = BigInt(10);
  var data = form.dataset;
  var exponent = parseInt(data.exponent, 10) || 0;
  var scale = pow10(exponent);
  var mode = data.mode;
  var tolerance = BigInt(data.tolerance || "0");
  var currentTotal = BigInt(data.currentTotal || "0");
  var share = parseShare(data.share || "0");
  var lang = document.documentElement.lang || "en";
  var whole = new Intl.NumberFormat(lang, {
    style: "currency", currency: data.currency, minimumFractionDigits: 0, maximumFractionDigits: 0
  });
  var exact = new Intl.NumberFormat(lang, {
    style: "currency", currency: data.currency,
    minimumFractionDigits: exponent, maximumFractionDigits: exponent
  });
  var lines = Array.prototype.slice.call(form.querySelectorAll(".sim-line"));
  var live = document.getElementById("sim-live");
  var announceTimer = null;

  function pow10(n) {
    var result = ONE;
    for (var i = 0; i < n; i += 1) { result *= TEN; }
    return result;
  }

  function parseShare(text) {
    var match = /^(\d*)(?:\.(\d*))?$/.exec(String(text).trim());
    if (!match) { return { num: ZERO, den: ONE }; }
    var fraction = match[2] || "";
    return { num: BigInt((match[1] || "0") + fraction), den: pow10(fraction.length) };
  }

  /* "1500000.5" -> 150000050n (exponent 2); null when it is not an amount. */
  function toMinor(text) {
    var match = /^\s*(-?)(\d*)(?:\.(\d*))?\s*$/.exec(String(text));
    if (!match || (match[2] === "" && !match[3])) { return null; }
    var fraction = match[3] || "";
    if (fraction.length > exponent) {
      if (/[^0]/.test(fraction.slice(exponent))) { return null; }
      fraction = fraction.slice(0, exponent);
    }
    while (fraction.length < exponent) { fraction += "0"; }
    var value = BigInt((match[2] || "0") + fraction);
    return match[1] ? -value : value;
  }

  function abs(value) { return value < ZERO ? -value : value; }

  /* Whole amounts without decimals, unless ``cents`` (the household impact). */
  function format(minor, cents) {
    var number = Number(minor) / Number(scale);
    return (minor % scale === ZERO && !cents ? whole : exact).format(number);
  }

  function signed(minor, cents) {
    if (minor > ZERO) { return "+" + format(minor, cents); }
    if (minor < ZERO) { return "\u2212" + format(-minor, cents); }
    return format(minor, cents);
  }

  /* delta × share, rounded half away from zero to the minor unit (as the server does). */
  function impact(delta) {
    var product = abs(delta) * share.num;
    var rounded = (TWO * product + share.den) / (TWO * share.den);
    return delta < ZERO ? -rounded : rounded;
  }

  function fill(template, amount) {
    return (template || "").replace("{amount}", amount);
  }

  function amountOf(line) {
    var current = BigInt(line.dataset.current);
    if (line.dataset.kind === "toggle") {
      var box = line.querySelector(".sim-toggle");
      return box.checked ? BigInt(line.dataset.cost) : ZERO;
    }
    var number = line.querySelector(".sim-amount");
    var value = toMinor(number.value);
    return value === null ? current : value;
  }

  function gapSentence(delta) {
    if (mode === "balance") {
      if (abs(delta) <= tolerance) { return data.textBalanced; }
      if (delta > ZERO) { return fill(data.textOver, format(delta)); }
      return fill(data.textUnder, format(-delta));
    }
    if (delta === ZERO) { return data.textUnchanged; }
    return fill(data.textChange, signed(delta));
  }

  function update() {
    var total = ZERO;
    lines.forEach(function (line) {
      var amount = amountOf(line);
      var id = line.dataset.lineId;
      total += amount;
      var change = document.getElementById("change-" + id);
      if (change) { change.textContent = fill(data.textLineChange, signed(amount - BigInt(line.dataset.current))); }
      var bar = document.querySelector('#sim-mine rect[data-line="' + id + '"]');
      if (bar) {
        var max = parseFloat(bar.getAttribute("data-scale")) || 1;
        var width = Math.max(0.5, 420 * (Number(amount) / Number(scale)) / max);
        bar.setAttribute("width", width.toFixed(1));
      }
      var cell = document.querySelector('[data-sim-cell="' + id + '"]');
      if (cell) { cell.textContent = format(amount); }
    });
    var delta = total - currentTotal;
    var totalCell = form.querySelector('[data-sim="total"]');
    var gapCell = form.querySelector('[data-sim="gap"]');
    var impactCell = form.querySelector('[data-sim="impact"]');
    if (totalCell) { totalCell.textContent = format(total); }
    if (gapCell) { gapCell.textContent = signed(delta); }
    var sentence = fill(data.textTotal, format(total)) + " " + gapSentence(delta);
    if (mode === "tax") {
      var perHousehold = impact(delta);
      if (impactCell) { impactCell.textContent = signed(perHousehold, true); }
      sentence += " " + fill(data.textImpact, signed(perHousehold, true));
    }
    if (live) {
      live.classList.toggle("sim-unbalanced", mode === "balance" && abs(delta) > tolerance);
      window.clearTimeout(announceTimer);
      announceTimer = window.setTimeout(function () { live.textContent = sentence; }, 350);
    }
  }

  lines.forEach(function (line) {
    var range = line.querySelector(".sim-range");
    var number = line.querySelector(".sim-amount");
    if (range && number) {
      range.addEventListener("input", function () {
        number.value = range.value;
        update();
      });
      number.addEventListener("input", function () {
        if (toMinor(number.value) !== null) { range.value = number.value; }
        update();
      });
    }
    var box = line.querySelector(".sim-toggle");
    if (box) { box.addEventListener("change", update); }
  });
  form.classList.add("sim-live-enabled");
})();
