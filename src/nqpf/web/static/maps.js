// nqpf maps and chart exports (dashboard and views).  Progressive enhancement: the page
// shows a static SVG tile map (links work without JS); when ECharts loads, the map is
// drawn interactively from the same JSON (/api/v1/dashboard/map …): tooltips, hover,
// click → the filtered enterprise list, "save as image".  Every inline SVG chart in a
// [data-export] box gets SVG and PNG download buttons.
"use strict";
(function () {
  function ink(color) {
    // dark or light label text on a fill colour (relative luminance)
    var c = /^#([0-9a-f]{6})$/i.exec(color || "");
    if (!c) { return "#1f2933"; }
    var n = parseInt(c[1], 16), r = (n >> 16) / 255, g = ((n >> 8) & 255) / 255, b = (n & 255) / 255;
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5 ? "#ffffff" : "#1f2933";
  }

  function squares(regions) {
    // the tile grid as GeoJSON: one unit square per region (y grows upwards in ECharts)
    return {
      type: "FeatureCollection",
      features: regions.map(function (r) {
        var x = r.col, y = -r.row, d = 0.92;
        return {
          type: "Feature",
          properties: { name: r.code },
          geometry: { type: "Polygon", coordinates: [[[x, y], [x + d, y], [x + d, y - d], [x, y - d], [x, y]]] },
        };
      }),
    };
  }

  function geo(body) {
    if (body.basemap === "geojson" && body.features && body.features.length) {
      return {
        type: "FeatureCollection",
        features: body.features.map(function (f) {
          return { type: "Feature", geometry: f.geometry, properties: { name: f.properties.code || "" } };
        }),
      };
    }
    return squares(body.regions);
  }

  function draw(box, body) {
    var chart = window.echarts.init(box, null, { renderer: "canvas" });
    var name = "nqpf-" + (body.basemap || "tiles") + "-" + (body.parent || "cn");
    window.echarts.registerMap(name, geo(body));
    var byCode = {};
    body.regions.forEach(function (r) { byCode[r.code] = r; });
    chart.setOption({
      title: { text: body.title, subtext: body.note, left: "left", textStyle: { fontSize: 14 }, subtextStyle: { fontSize: 11 } },
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var r = byCode[p.name];
          if (!r) { return ""; }
          var esc = function (t) { return String(t).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; }); };
          return esc(r.name) + "（" + esc(r.code) + "）<br>" + esc(body.label) + "：" + esc(r.text) +
            "<br>企业 " + r.enterprises + " 家，已评测 " + r.assessed + " 家";
        },
      },
      toolbox: { feature: { saveAsImage: { title: "保存为 PNG", name: "地图" } }, right: 10 },
      series: [{
        type: "map",
        map: name,
        roam: body.basemap === "geojson",
        selectedMode: false,
        top: 56,
        label: {
          show: body.basemap !== "geojson",
          formatter: function (p) { var r = byCode[p.name]; return r ? r.name + "\n" + r.text : ""; },
          fontSize: 11,
        },
        itemStyle: { borderColor: "#ffffff", borderWidth: 1 },
        emphasis: { itemStyle: { areaColor: "#f59e0b" }, label: { show: true } },
        data: body.regions.map(function (r) {
          return { name: r.code, value: r.value, itemStyle: { areaColor: r.color }, label: { color: ink(r.color) } };
        }),
      }],
    });
    chart.on("click", function (p) {
      var r = byCode[p.name];
      if (r && r.href) { window.location.href = r.href; }
    });
    box.__nqpfChart = chart;
    box.__nqpfRegions = byCode;
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function initMaps() {
    document.querySelectorAll(".echart-map[data-map-url]").forEach(function (box) {
      if (!window.echarts) { return; }
      fetch(box.dataset.mapUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (body) {
          var rows = Math.max.apply(null, body.regions.map(function (r) { return r.row; }).concat([0])) + 1;
          box.style.height = (body.basemap === "geojson" ? 520 : Math.min(640, 120 + rows * 62)) + "px";
          box.hidden = false;
          draw(box, body);
          var fallback = box.parentElement.querySelector(".map-static");
          if (fallback) { fallback.hidden = true; }
          box.dataset.ready = "1";
        })
        .catch(function () { box.hidden = true; });
    });
  }

  function save(name, href) {
    var a = document.createElement("a");
    a.href = href;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  function svgData(svg) {
    var text = new XMLSerializer().serializeToString(svg);
    return "data:image/svg+xml;base64," + btoa(unescape(encodeURIComponent(text)));
  }

  function initExports() {
    document.querySelectorAll("[data-export]").forEach(function (box) {
      var svg = box.querySelector("svg");
      if (!svg || box.querySelector(".chart-export")) { return; }
      var name = box.dataset.export || "chart";
      var bar = document.createElement("div");
      bar.className = "chart-export";
      var asSvg = document.createElement("button");
      asSvg.type = "button";
      asSvg.textContent = "SVG";
      asSvg.addEventListener("click", function () { save(name + ".svg", svgData(svg)); });
      var asPng = document.createElement("button");
      asPng.type = "button";
      asPng.textContent = "PNG";
      asPng.addEventListener("click", function () {
        var img = new Image();
        var w = svg.viewBox.baseVal.width || svg.clientWidth, h = svg.viewBox.baseVal.height || svg.clientHeight;
        img.onload = function () {
          var canvas = document.createElement("canvas");
          canvas.width = w * 2;
          canvas.height = h * 2;
          var ctx = canvas.getContext("2d");
          ctx.fillStyle = "#ffffff";
          ctx.fillRect(0, 0, canvas.width, canvas.height);
          ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
          save(name + ".png", canvas.toDataURL("image/png"));
        };
        img.src = svgData(svg);
      });
      bar.appendChild(asSvg);
      bar.appendChild(asPng);
      if (box.dataset.xlsx) {
        var data = document.createElement("a");
        data.href = box.dataset.xlsx;
        data.textContent = "数据 XLSX";
        data.setAttribute("download", "");
        bar.appendChild(data);
      }
      box.appendChild(bar);
    });
  }

  function initLinks() {
    // chart segments → the filtered enterprise list: data-links holds one URL per level
    document.querySelectorAll("[data-links]").forEach(function (box) {
      var links;
      try { links = JSON.parse(box.dataset.links); } catch (_) { return; }
      box.querySelectorAll("rect.bar").forEach(function (rect, i) { link(rect, links[i]); });
      box.querySelectorAll("rect.segment").forEach(function (rect) {
        link(rect, links[Number(rect.getAttribute("data-index"))]);
      });
    });
    function link(rect, href) {
      if (!href) { return; }
      rect.style.cursor = "pointer";
      rect.setAttribute("data-href", href);
      rect.addEventListener("click", function () { window.location.href = href; });
    }
  }

  document.addEventListener("DOMContentLoaded", function () { initMaps(); initExports(); initLinks(); });
})();
