// The pipeline board's chart (amount and weighted amount per stage). Plotly is loaded only when the
// chart's <details> is opened; the data comes from the json_script element "board-chart-data", which
// the board re-renders with each htmx swap.
(function () {
  var box = document.getElementById("board-chart-box"), loading = false;
  if (!box) return;
  function draw() {
    var data = document.getElementById("board-chart-data");
    if (!box.open || !window.Plotly || !data) return;
    var d = JSON.parse(data.textContent);
    window.Plotly.react("board-chart", [
      {type: "bar", name: d.labels.amount, x: d.stages, y: d.amount, marker: {color: "#9db8e8"}},
      {type: "bar", name: d.labels.weighted, x: d.stages, y: d.weighted, marker: {color: "#1f6feb"}}
    ], {barmode: "group", margin: {t: 10, r: 10, b: 90, l: 70}, legend: {orientation: "h", y: 1.12},
        yaxis: Object.assign({separatethousands: true, tickformat: ",.0f"}, d.yaxis), font: {size: 12}},
       {displayModeBar: false, responsive: true});
  }
  box.addEventListener("toggle", function () {
    if (!box.open) return;
    if (window.Plotly) { draw(); return; }
    if (loading) return;
    loading = true;
    var s = document.createElement("script");
    s.src = box.dataset.plotlySrc;
    s.onload = draw;
    document.head.appendChild(s);
  });
  document.body.addEventListener("htmx:afterSettle", draw);
})();
