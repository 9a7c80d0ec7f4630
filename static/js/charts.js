// Draws every chart of the page (templates/includes/chart.html) with the vendored Chart.js.
//
// Each <canvas data-chart="ID"> reads its figures from <script type="application/json" id="ID">
// (crm.charts.Chart.data: kind, title, unit, stacked, labels, series [{name, values}]): the very
// figures printed in the table under it. A canvas is drawn once, however many times the page
// includes this file; charts that arrive with an htmx swap are drawn after it settles.
(function () {
  "use strict";

  // Bootstrap's palette, distinguishable side by side on a stacked bar.
  var COLOURS = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#dc3545", "#20c997", "#ffc107",
                 "#0dcaf0", "#d63384", "#6c757d", "#6610f2"];

  function draw(canvas) {
    if (canvas.dataset.chartDrawn || !window.Chart) { return; }
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    var locale = document.documentElement.lang || undefined;  // "id": 1.234 on the axis, as in the table
    var counts = data.series.every(function (series) { return series.values.every(Number.isInteger); });
    var datasets = data.series.map(function (series, i) {
      var colour = COLOURS[i % COLOURS.length];
      return {label: series.name, data: series.values, backgroundColor: colour, borderColor: colour,
              fill: false, tension: 0.2};
    });
    canvas.chart = new window.Chart(canvas, {
      type: data.kind,
      data: {labels: data.labels, datasets: datasets},
      options: {
        locale: locale,
        animation: false,
        responsive: true,
        maintainAspectRatio: true,
        aspectRatio: 2.5,
        interaction: {mode: "index", intersect: false},
        scales: {
          x: {stacked: data.stacked},
          y: {stacked: data.stacked, beginAtZero: true, ticks: {precision: counts ? 0 : undefined},
              title: {display: Boolean(data.unit), text: data.unit}}
        },
        plugins: {legend: {position: "bottom"}}
      }
    });
    canvas.dataset.chartDrawn = "1";
  }

  function drawAll() {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
  document.addEventListener("htmx:afterSettle", drawAll);
})();
