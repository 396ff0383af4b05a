/* Coverage map of a testing round: grids drawn from their GeoJSON shapes (no map tiles, the
   machine may be offline), coloured by the share of residents tested.

   Markup: <div data-coverage-map data-geojson="URL" data-source="ID" data-map-name="NAME"
   data-label-*="…">. The shapes are fetched once; the numbers are read from the JSON script
   #ID that the htmx-polled partial replaces, so the colours follow every refresh. */
(function () {
  "use strict";

  function readRows(id) {
    var node = document.getElementById(id);
    if (!node) return [];
    try {
      return JSON.parse(node.textContent) || [];
    } catch (e) {
      return [];
    }
  }

  function init(el) {
    if (!window.echarts || el.dataset.ready) return;
    el.dataset.ready = "1";
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    var mapName = el.dataset.mapName || "coverage";
    var loaded = false;
    var L = el.dataset;

    function draw() {
      if (!loaded) return;
      var rows = readRows(L.source);
      var byCode = {};
      rows.forEach(function (r) { byCode[r.code] = r; });
      chart.setOption({
        tooltip: {
          trigger: "item",
          formatter: function (p) {
            var r = byCode[p.name];
            if (!r) return p.name;
            if (r.percent === null) return r.name + "<br>" + L.labelNodata;
            return r.name + "<br>" + L.labelCoverage + ": " + r.percent + "%<br>" +
              L.labelTested + ": " + r.tested + " / " + L.labelResidents + ": " + r.residents;
          }
        },
        visualMap: {
          min: 0, max: 100, left: "left", bottom: 10, calculable: false,
          text: [L.labelHigh || "100%", L.labelLow || "0%"],
          inRange: { color: ["#b3261e", "#f2c94c", "#1e7d32"] }
        },
        series: [{
          type: "map",
          map: mapName,
          nameProperty: "code",
          roam: true,
          label: {
            show: true,
            formatter: function (p) {
              var r = byCode[p.name];
              if (!r) return "";
              return r.name + (r.percent === null ? "" : "\n" + r.percent + "%");
            }
          },
          itemStyle: { areaColor: "#e7ecf2", borderColor: "#20262e" },
          emphasis: { label: { show: true } },
          data: rows.map(function (r) { return { name: r.code, value: r.percent }; })
        }]
      }, false);
    }

    fetch(L.geojson, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (geo) {
        if (!geo.features || !geo.features.length) {
          el.classList.add("empty");
          return;
        }
        window.echarts.registerMap(mapName, geo);
        loaded = true;
        draw();
      });

    document.body.addEventListener("htmx:afterSettle", draw);
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function start() {
    document.querySelectorAll("[data-coverage-map]").forEach(init);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
