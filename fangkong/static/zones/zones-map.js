/* Zone maps: grids, compounds and buildings drawn from their GeoJSON shapes (no map tiles, the
   machine may be offline), coloured by the regime that applies there; checkpoints as pins.

   Markup: <div data-zones-map data-mode="pick|view" data-geojson="URL" [data-overlay="URL"]
   [data-form="FORM ID"] [data-zone-url="/zones/0/"]>.
   - pick: a click on a shape toggles its option in the form's grids/compounds/buildings
     select, and the select's changes recolour the map (list and map stay in step); the radio
     buttons named map-level choose which shapes are drawn.
   - view: a click on a shape inside a zone opens that zone's page. */
(function () {
  "use strict";

  var COLOURS = { sealed: "#b3261e", controlled: "#e8710a", precaution: "#f2c94c" };
  var PICKED = "#0b57d0";
  var BLANK = "#e7ecf2";
  var SELECTS = { grid: "grids", compound: "compounds", building: "buildings" };
  var ORDER = { grid: 0, compound: 1, building: 2, zone: 3 };

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); });
  }

  function init(el) {
    if (!window.echarts || el.dataset.ready) return;
    el.dataset.ready = "1";
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    el.fangkongChart = chart; // for browser tests: convertToPixel on a shape's coordinates
    var mode = el.dataset.mode || "view";
    var form = el.dataset.form ? document.getElementById(el.dataset.form) : null;
    var all = null;
    var overlay = { features: [] };
    var byCode = {};
    var frame = el.dataset.bounds ? JSON.parse(el.dataset.bounds) : null;

    function level() {
      if (mode !== "pick") return null;
      var checked = document.querySelector("input[name=map-level]:checked");
      return checked ? checked.value : "grid";
    }

    function option(code, lvl) {
      var select = form && form.querySelector("select[name=" + SELECTS[lvl] + "]");
      if (!select) return null;
      for (var i = 0; i < select.options.length; i++) {
        if (select.options[i].value === code) return select.options[i];
      }
      return null;
    }

    function colour(f) {
      var p = f.properties;
      if (p.level === "zone") return "rgba(0,0,0,0)";
      if (mode === "pick") {
        var opt = option(p.code, p.level);
        if (opt && opt.selected) return PICKED;
      }
      return COLOURS[p.regime] || BLANK;
    }

    function bounds(features) {
      // The box around the overlay (the zone's own shape), padded: the zone page opens on it.
      var xs = [], ys = [];
      features.forEach(function (f) {
        (f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates)
          .forEach(function (poly) {
            poly[0].forEach(function (pt) { xs.push(pt[0]); ys.push(pt[1]); });
          });
      });
      if (!xs.length) return null;
      var w = Math.min.apply(null, xs), e = Math.max.apply(null, xs);
      var s = Math.min.apply(null, ys), n = Math.max.apply(null, ys);
      var pad = Math.max(e - w, n - s) * 0.6 || 0.001;
      return [[w - pad, n + pad], [e + pad, s - pad]];
    }

    function draw() {
      if (!all) return;
      var lvl = level();
      var shapes = all.features.filter(function (f) {
        return f.geometry && f.geometry.type !== "Point" && (!lvl || f.properties.level === lvl);
      });
      shapes = shapes.concat(overlay.features);
      shapes.sort(function (a, b) { return ORDER[a.properties.level] - ORDER[b.properties.level]; });
      var name = "zones-" + mode + "-" + (lvl || "all");
      window.echarts.registerMap(name, { type: "FeatureCollection", features: shapes });
      var regions = shapes.map(function (f) {
        var isZone = f.properties.level === "zone";
        return {
          name: f.properties.code,
          itemStyle: {
            areaColor: colour(f),
            borderColor: isZone ? "#000" : "#20262e",
            borderWidth: isZone ? 3 : 0.6
          },
          label: { show: false }
        };
      });
      var pins = all.features.filter(function (f) {
        return f.geometry && f.geometry.type === "Point";
      }).map(function (f) {
        return { name: f.properties.label || f.properties.code, value: f.geometry.coordinates };
      });
      chart.setOption({
        tooltip: {
          trigger: "item",
          formatter: function (p) {
            if (p.componentType === "series") return p.name;
            var f = byCode[p.name];
            if (!f) return p.name;
            var text = f.properties.label;
            if (f.properties.zone_kind_label) text += "<br>" + f.properties.zone_kind_label;
            if (f.properties.residents !== null && f.properties.residents !== undefined) {
              text += "<br>" + (el.dataset.labelResidents || "") + " " + f.properties.residents;
            }
            return text;
          }
        },
        geo: {
          map: name,
          roam: true,
          // The zone page opens on the frame the server computed from the zone's shape
          // (data-bounds); without one, on the overlay's box; else on the whole area.
          boundingCoords: frame || (overlay.features.length ? bounds(overlay.features) : null),
          layoutCenter: ["50%", "50%"],
          layoutSize: "100%",
          selectedMode: false,
          itemStyle: { areaColor: BLANK, borderColor: "#20262e", borderWidth: 0.6 },
          emphasis: { itemStyle: { areaColor: "#9ec1ff" }, label: { show: false } },
          regions: regions
        },
        series: [{
          type: "scatter",
          coordinateSystem: "geo",
          symbol: "pin",
          symbolSize: 28,
          itemStyle: { color: "#20262e" },
          data: pins
        }]
      }, true);
      el.dataset.drawn = String(shapes.length);
    }

    function index(features) {
      features.forEach(function (f) {
        // The code names the shape (unique); the human name is kept for labels.
        f.properties.label = f.properties.label || f.properties.name || f.properties.code;
        f.properties.name = f.properties.code;
        byCode[f.properties.code] = f;
      });
    }

    chart.on("click", function (p) {
      if (p.componentType !== "geo") return;
      var f = byCode[p.name];
      if (!f) return;
      if (mode === "pick") {
        var opt = option(f.properties.code, f.properties.level);
        if (opt) {
          opt.selected = !opt.selected;
          opt.parentNode.dispatchEvent(new Event("change", { bubbles: true }));
        }
      } else if (f.properties.zone_id && el.dataset.zoneUrl) {
        window.location.href = el.dataset.zoneUrl.replace("/0/", "/" + f.properties.zone_id + "/");
      }
    });

    var loads = [getJSON(el.dataset.geojson)];
    if (el.dataset.overlay) loads.push(getJSON(el.dataset.overlay));
    Promise.all(loads).then(function (results) {
      all = results[0];
      if (results[1]) overlay = results[1];
      index(all.features);
      index(overlay.features);
      if (!all.features.length && !overlay.features.length) {
        el.classList.add("empty");
        return;
      }
      draw();
    });

    if (form) form.addEventListener("change", draw);
    document.querySelectorAll("input[name=map-level]").forEach(function (r) {
      r.addEventListener("change", draw);
    });
    // The canvas follows its box (the page's grid reflows after fonts and on narrow screens);
    // a canvas left at a stale size would cut the map off.
    if (window.ResizeObserver) {
      new ResizeObserver(function () { chart.resize(); }).observe(el);
    } else {
      window.addEventListener("resize", function () { chart.resize(); });
    }
  }

  function start() {
    document.querySelectorAll("[data-zones-map]").forEach(init);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
