// The analytics pages' charts (console/analytics_views.py). Each <canvas data-chart="ID"> is drawn
// by Chart.js (static/vendor/chartjs/, served by us, never a CDN) from the JSON that Django's
// json_script wrote beside it in <script id="ID" type="application/json">: the labels, the
// datasets with their names in the reader's language, and how to write their numbers (money in
// the program's currency, or counts). Numbers are written in the page's language. Colours come
// from tessera.css's custom properties. No inline script or style anywhere: the CSP refuses them
// (Chart.js sizes its canvas through the CSSOM, which the policy allows). The table beside each
// chart holds the same figures; the canvas is an image with a label for screen readers.
(function () {
  "use strict";
  if (!window.Chart) return;
  const Chart = window.Chart;
  const style = getComputedStyle(document.documentElement);
  const language = document.documentElement.lang || "en";
  const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function color(name, fallback) {
    return style.getPropertyValue(name).trim() || fallback;
  }

  // How a dataset's numbers are written: money in the currency (whole units on the axis, cents
  // in the tooltip), counts as whole numbers.
  function formatter(format, currency, onAxis) {
    const digits = onAxis ? { maximumFractionDigits: 0 } : {};
    let written;
    if (format === "money" && currency) {
      try {
        written = new Intl.NumberFormat(language, Object.assign({ style: "currency", currency: currency }, digits));
      } catch (error) {
        written = null; // an unknown currency code: plain numbers
      }
    }
    if (!written) {
      const places = format === "money" && !onAxis ? 2 : 0;
      written = new Intl.NumberFormat(language, { minimumFractionDigits: places, maximumFractionDigits: places });
    }
    return function (value) { return written.format(value); };
  }

  const palette = {
    bar: color("--color-primary", "#a8431d"),
    line: color("--color-info-text", "#1c3f6e"),
    text: color("--color-text", "#2b2320"),
    muted: color("--color-muted", "#5e524c"),
    grid: color("--color-border", "#d9ccbf"),
  };

  function draw(canvas) {
    const source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    const spec = JSON.parse(source.textContent);
    const horizontal = Boolean(spec.horizontal);
    const formats = spec.datasets.map(function (set) { return formatter(set.format, spec.currency, false); });
    const axisFormats = spec.datasets.map(function (set) { return formatter(set.format, spec.currency, true); });
    const scales = {};
    const categoryAxis = horizontal ? "y" : "x";
    scales[categoryAxis] = {
      grid: { display: false },
      ticks: { color: palette.text, autoSkip: true, maxRotation: 0 },
    };
    const datasets = spec.datasets.map(function (set, index) {
      const isLine = set.type === "line";
      const axis = set.axis || (horizontal ? "x" : "y");
      if (!scales[axis]) {
        scales[axis] = {
          beginAtZero: true,
          position: axis === "y1" ? "right" : undefined,
          grid: { color: palette.grid, drawOnChartArea: index === 0 },
          ticks: { color: palette.muted, maxTicksLimit: 6, precision: 0, callback: axisFormats[index] },
        };
        if (axis === "y1") scales[axis].axis = "y";
      }
      const dataset = {
        label: set.label,
        data: set.data,
        type: set.type || spec.type,
        backgroundColor: isLine ? palette.line : palette.bar,
        borderColor: isLine ? palette.line : palette.bar,
        borderWidth: isLine ? 2 : 0,
        pointRadius: isLine ? (spec.labels.length > 31 ? 0 : 2) : undefined,
        order: isLine ? 0 : 1,
      };
      dataset[horizontal ? "xAxisID" : "yAxisID"] = axis;
      return dataset;
    });
    new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: reduceMotion ? false : { duration: 300 },
        interaction: { mode: "index", intersect: false },
        scales: scales,
        plugins: {
          legend: {
            display: datasets.length > 1,
            position: "bottom",
            labels: { color: palette.text, boxWidth: 14 },
          },
          tooltip: {
            callbacks: {
              label: function (context) {
                const value = horizontal ? context.parsed.x : context.parsed.y;
                return context.dataset.label + ": " + formats[context.datasetIndex](value);
              },
            },
          },
        },
      },
    });
  }

  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  document.querySelectorAll("canvas[data-chart]").forEach(draw);
})();
