/* tuquan national map: coarse communes for the whole country, and each province's detailed
 * communes loaded from a file beside the map (a <script>, which works from file:// too)
 * once the view is zoomed in on it. Tooltip HTML was escaped in Python. */
(function () {
  "use strict";
  var tuquan = (window.tuquan = window.tuquan || {});
  var state = null;

  function styleOf(feature) {
    var o = state.options;
    var style = {};
    for (var key in o.baseStyle) style[key] = o.baseStyle[key];
    style.fillColor = o.colours[feature.properties.st] || o.fallback;
    return style;
  }

  function setCoarse(code, hidden) {
    state.coarse.eachLayer(function (shape) {
      if (shape.feature.properties.p !== code) return;
      if (hidden) shape.setStyle({ opacity: 0, fillOpacity: 0 });
      else state.coarse.resetStyle(shape);
      var element = shape.getElement && shape.getElement();
      if (element) element.style.pointerEvents = hidden ? "none" : "";
    });
  }

  function request(code) {
    state.requested[code] = true;
    var script = document.createElement("script");
    script.src = state.options.folder + "/" + code + ".js";
    document.head.appendChild(script);
  }

  // The commune chosen in the search box (its code), highlighted in the detail too.
  function highlightSelected() {
    var box = state.map.getContainer().querySelector(".tq-search");
    var selected = box ? box.getAttribute("data-selected") : null;
    Object.keys(state.layers).forEach(function (code) {
      state.layers[code].eachLayer(function (shape) {
        if (shape.feature.properties.code === selected) {
          shape.setStyle(state.options.highlightStyle);
          shape.bringToFront();
        } else {
          state.layers[code].resetStyle(shape);
        }
      });
    });
  }

  function update() {
    var map = state.map;
    var detailed = map.getZoom() >= state.options.minZoom && map.hasLayer(state.coarse);
    // The coarse province lines would cross the detailed communes: shown zoomed out only.
    if (state.outline) {
      state.switching = true; // the layer control reports this change too: not the user's
      if (detailed && map.hasLayer(state.outline)) map.removeLayer(state.outline);
      else if (!detailed && state.outlineWanted && !map.hasLayer(state.outline)) state.outline.addTo(map);
      state.switching = false;
    }
    var view = map.getBounds();
    Object.keys(state.options.provinces).forEach(function (code) {
      var b = state.options.provinces[code]; // [west, south, east, north]
      var wanted = detailed && view.intersects(L.latLngBounds([b[1], b[0]], [b[3], b[2]]));
      if (wanted && !state.requested[code]) request(code);
      var layer = state.layers[code];
      if (!layer) return;
      if (wanted && !map.hasLayer(layer)) {
        layer.addTo(map);
        setCoarse(code, true);
      } else if (!wanted && map.hasLayer(layer)) {
        map.removeLayer(layer);
        setCoarse(code, false);
      }
    });
    highlightSelected();
    map.getContainer().setAttribute("data-detail", Object.keys(state.layers).filter(function (c) {
      return map.hasLayer(state.layers[c]);
    }).join(" "));
  }

  tuquan.nationalDetail = function (map, coarse, outline, options) {
    state = { map: map, coarse: coarse, outline: outline, outlineWanted: true, options: options,
              requested: {}, layers: {} };
    map.on("moveend", update);
    map.on("overlayadd overlayremove", function (e) {
      if (e.layer === outline && !state.switching) state.outlineWanted = e.type === "overlayadd";
      update();
    });
    var box = map.getContainer().querySelector(".tq-search");
    if (box && window.MutationObserver) {
      new MutationObserver(highlightSelected).observe(box, { attributes: true, attributeFilter: ["data-selected"] });
    }
    update();
  };

  // Called by each detail file: tuquan.nationalDetailLoaded("37", {FeatureCollection}).
  tuquan.nationalDetailLoaded = function (code, data) {
    if (!state) return;
    state.layers[code] = L.geoJSON(data, {
      style: styleOf,
      className: "tq-commune-detail",
      onEachFeature: function (feature, layer) {
        layer.bindTooltip(feature.properties.tip, { sticky: true, className: "tq-tip" });
      },
    });
    update();
  };
})();
