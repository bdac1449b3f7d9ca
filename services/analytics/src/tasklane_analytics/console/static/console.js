// Draws the charts of a page from their data-chart attribute (no inline script: the CSP forbids
// it). Runs on load and again after htmx swaps content in.
(function () {
  "use strict";
  function draw(el) {
    if (el.dataset.drawn) return;
    el.dataset.drawn = "1";
    var spec = JSON.parse(el.dataset.chart);
    // The lines' order is given: the attribute's JSON has its keys sorted.
    var names = spec.order || Object.keys(spec.labels);
    var data = [spec.series.t].concat(names.map(function (n) { return spec.series[n]; }));
    var series = [{}].concat(names.map(function (n) {
      return { label: spec.labels[n], stroke: spec.colours[n], width: 2 };
    }));
    var opts = { width: Math.max(el.clientWidth, 320), height: 240, series: series };
    if (spec.zone) {
      // The axis and the legend in the analyst's zone, not the browser's.
      opts.tzDate = function (ts) { return uPlot.tzDate(new Date(ts * 1e3), spec.zone); };
    }
    // Kept on the element: what a chart plots can be read back (the browser tests do).
    el.uplot = new uPlot(opts, data, el);
  }

  function drawAll(root) {
    (root || document).querySelectorAll("[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSwap", function (ev) { drawAll(ev.target); });

  // Picking a date means the dates, not the preset, make the period (see console/choices.py).
  document.addEventListener("change", function (ev) {
    var input = ev.target;
    if (!input.matches || !input.matches("input[type=date]") || !input.form) return;
    var preset = input.form.querySelector("select[name=period]");
    if (preset) preset.value = "";
  });

  // A table that refreshes itself skips a refresh while one of its buttons is being pressed: a swap
  // between mouse-down and mouse-up would swallow the operator's click.
  function pressedIn(elt) {
    var trigger = elt && elt.getAttribute && elt.getAttribute("hx-trigger");
    return Boolean(trigger && trigger.indexOf("every") >= 0 && elt.querySelector(".action:active"));
  }
  document.addEventListener("htmx:beforeRequest", function (ev) {
    if (pressedIn(ev.detail && ev.detail.elt)) ev.preventDefault();
  });
  // The same for an answer that was already on its way when the button went down.
  document.addEventListener("htmx:beforeSwap", function (ev) {
    if (pressedIn(ev.detail && ev.detail.elt)) ev.detail.shouldSwap = false;
  });

  // htmx swaps nothing on an error answer: say so instead of leaving a click without effect.
  document.addEventListener("htmx:responseError", function (ev) {
    var flash = document.getElementById("flash");
    if (!flash) return;
    var status = ev.detail.xhr.status;
    flash.textContent = status === 403
      ? "Refused (403): your role may not do this, or the page is stale; reload it."
      : "The console answered " + status + "; nothing was changed.";
    flash.hidden = false;
  });
})();
