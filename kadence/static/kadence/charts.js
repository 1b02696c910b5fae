// Draws every element with data-chart="<id of a json_script element>" using Plotly (served from the
// plotly package, no CDN). The JSON holds {"data": [...], "layout": {...}} built on the server. Charts
// speak the page's language: on a Chinese page Plotly's zh-CN locale (plotly-locale-zh-cn.js, loaded
// before this file) names months and days and labels the mode bar.
(function () {
  function locale() {
    var lang = (document.documentElement.lang || "").toLowerCase();
    return lang.indexOf("zh") === 0 ? "zh-CN" : "en";
  }
  function draw() {
    if (!window.Plotly) return;
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.drawn) return;
      var source = document.getElementById(el.dataset.chart);
      if (!source) return;
      var spec = JSON.parse(source.textContent);
      var layout = Object.assign({margin: {l: 60, r: 20, t: 30, b: 50}, font: {size: 12}}, spec.layout || {});
      window.Plotly.newPlot(el, spec.data, layout, {displaylogo: false, responsive: true, locale: locale()});
      el.dataset.drawn = "1";
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
  window.kadenceDrawCharts = draw;
})();
