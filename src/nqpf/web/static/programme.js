// The programme page's event-study chart (ECharts, vendored): the effect by years since
// joining with 95 % intervals, one series per estimate, from the numbers in data-series.
(function () {
  "use strict";
  var NAMES = { cs: "Callaway–Sant'Anna", sa: "Sun–Abraham", did2s: "did2s", twfe: "TWFE（有偏对照）" };
  var CONTROLS = { never: "从未参与", notyet: "尚未参与", implicit: "其余观测" };

  function draw(box) {
    var series;
    try { series = JSON.parse(box.dataset.series); } catch (_) { return; }
    var es = [];
    series.forEach(function (s) { s.rows.forEach(function (r) { if (es.indexOf(r.e) < 0) es.push(r.e); }); });
    es.sort(function (a, b) { return a - b; });
    var out = [];
    series.forEach(function (s) {
      var name = NAMES[s.method] + "（" + CONTROLS[s.control] + "）";
      var byE = {};
      s.rows.forEach(function (r) { byE[r.e] = r; });
      out.push({ name: name, type: "line", symbolSize: 7,
        data: es.map(function (e) { return byE[e] && byE[e].att !== null ? [String(e), byE[e].att] : [String(e), null]; }) });
      out.push({ name: name, type: "custom", silent: true,
        renderItem: function (params, api) {
          var lo = api.coord([api.value(0), api.value(1)]), hi = api.coord([api.value(0), api.value(2)]);
          return { type: "line", shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] },
                   style: { stroke: api.visual("color"), lineWidth: 1.5 } };
        },
        data: es.filter(function (e) { return byE[e] && byE[e].ci_lo !== null; })
                .map(function (e) { return [String(e), byE[e].ci_lo, byE[e].ci_hi]; }) });
    });
    var chart = window.echarts.init(box, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 50, right: 20, top: 40, bottom: 40 },
      xAxis: { type: "category", name: "距参与年数 e", nameLocation: "middle", nameGap: 26,
               data: es.map(String) },
      yAxis: { type: "value", name: "效应" },
      series: out
    });
    box.dataset.ready = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.echarts) { return; }
    document.querySelectorAll(".event-chart[data-series]").forEach(draw);
  });
})();
