// Drives static/js/simulator.js under node with minimal DOM fakes (see test_js.py).
const fs = require("fs");
function el(attrs = {}) {
  const listeners = {};
  return Object.assign({
    dataset: {}, textContent: "", value: "", checked: false, attributes: {},
    classList: { set: new Set(), add(c) { this.set.add(c); }, toggle(c, on) { on ? this.set.add(c) : this.set.delete(c); } },
    addEventListener(type, fn) { listeners[type] = fn; },
    fire(type) { listeners[type](); },
    setAttribute(k, v) { this.attributes[k] = v; }, getAttribute(k) { return this.attributes[k]; },
  }, attrs);
}
const byId = {};
const selectors = {};
const form = el({ dataset: {
  mode: process.argv[2], currency: "EUR", exponent: "2", tolerance: "0", share: "0.00002",
  currentTotal: "100000000", textBalanced: "Balanced.", textOver: "Over by {amount}.",
  textUnder: "Under by {amount}.", textUnchanged: "Unchanged.", textChange: "Change {amount}.",
  textTotal: "Total {amount}.", textImpact: "Household {amount}.", textLineChange: "Δ {amount}" } });
function line(id, current, kind, cost) {
  const l = el({ dataset: { lineId: String(id), current: String(current), kind, cost: String(cost || 0) } });
  l.range = el({ value: String(current / 100) }); l.number = el({ value: String(current / 100) }); l.box = el();
  l.querySelector = (s) => (s === ".sim-range" && kind === "amount" ? l.range : s === ".sim-amount" && kind === "amount" ? l.number : s === ".sim-toggle" && kind === "toggle" ? l.box : null);
  byId["change-" + id] = el();
  const bar = el(); bar.attributes["data-scale"] = "800000"; selectors['#sim-mine rect[data-line="' + id + '"]'] = bar;
  return l;
}
const lines = [line(1, 30000000, "amount"), line(2, 70000000, "amount"), line(3, 0, "toggle", 10000000)];
const cells = { total: el(), gap: el(), impact: el() };
form.querySelectorAll = () => lines;
form.querySelector = (s) => cells[(/data-sim="(\w+)"/.exec(s) || [])[1]] || null;
byId["sim-form"] = form; byId["sim-live"] = el();
global.document = { getElementById: (id) => byId[id] || null, querySelector: (s) => selectors[s] || null, documentElement: { lang: "en" } };
global.window = { setTimeout: (fn) => fn(), clearTimeout: () => {} };
eval(fs.readFileSync(process.argv[3], "utf8"));
lines[0].range.value = "400000"; lines[0].range.fire("input");
console.log(lines[0].number.value, cells.total.textContent, "|", cells.gap.textContent, "|", cells.impact.textContent, "|", byId["sim-live"].textContent, "|", byId["change-1"].textContent, selectors['#sim-mine rect[data-line="1"]'].attributes.width);
lines[2].box.checked = true; lines[2].box.fire("change");
lines[1].number.value = "599999.995"; lines[1].number.fire("input");
console.log(lines[1].range.value, cells.total.textContent, "|", byId["sim-live"].textContent);
lines[1].number.value = "599999.99"; lines[1].number.fire("input");
console.log(lines[1].range.value, cells.total.textContent, "|", byId["sim-live"].textContent, "|", cells.impact.textContent);
