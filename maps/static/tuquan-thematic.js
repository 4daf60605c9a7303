/* tuquan thematic layers: a legend that switches the commune colouring, site markers by
 * kind and status, numbered candidate markers. Data text reaches the page only through
 * textContent/title here; popup HTML was built and escaped in Python (maps/text.py). */
(function () {
  "use strict";
  var tuquan = (window.tuquan = window.tuquan || {});

  function styler(theme, base) {
    return function (feature) {
      var value = feature.properties[theme.property];
      var style = {};
      for (var key in base) style[key] = base[key];
      style.fillColor = theme.colours[String(value)] || theme.fallback;
      return style;
    };
  }

  // A legend (HTML from Python) whose radio buttons choose how the communes are coloured.
  tuquan.themeLegend = function (map, layer, options) {
    var control = tuquan.htmlControl(map, options.html, {
      className: "tq-legend tq-theme-legend",
      position: options.position || "bottomright",
    });
    var box = control.getContainer();
    function show(id) {
      var theme = options.themes[id];
      if (!theme) return;
      layer.options.style = styler(theme, options.baseStyle); // resetStyle (search) uses it
      layer.resetStyle();
      box.setAttribute("data-theme", id);
      box.querySelectorAll("[data-theme-section]").forEach(function (section) {
        section.hidden = section.getAttribute("data-theme-section") !== id;
      });
    }
    box.querySelectorAll("input[name=tq-theme]").forEach(function (input) {
      L.DomEvent.on(input, "change", function () {
        if (input.checked) show(input.value);
      });
    });
    show(options.initial);
    return control;
  };

  // Popups keep clear of the title and legend boxes on the right when the map pans to them.
  var POPUP_PAD = { autoPanPaddingTopLeft: [60, 20], autoPanPaddingBottomRight: [380, 20] };
  function popupOptions(extra) {
    var options = {};
    for (var key in POPUP_PAD) options[key] = POPUP_PAD[key];
    for (var k in extra) options[k] = extra[k];
    return options;
  }

  function iconElement(className, colour, title) {
    var div = document.createElement("div");
    div.className = "tq-marker " + className;
    div.style.background = colour;
    div.title = title;
    return div;
  }

  var SVG_NS = "http://www.w3.org/2000/svg";
  function glyph(icon) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", icon.viewBox);
    svg.setAttribute("width", "13");
    svg.setAttribute("height", "13");
    svg.setAttribute("fill", "currentColor");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", icon.d);
    svg.appendChild(path);
    return svg;
  }

  // Popup of a site: fixed labels and values, both escaped by Python (maps/text.py).
  function sitePopup(row, o) {
    var comps = row[8].map(function (n) {
      return o.componentLabels[n] || "";
    });
    var values = [
      o.kindLabels[row[2]],
      o.statusLabels[row[3]],
      comps.length ? comps.join("<br>") : "—",
      row[9], row[10], row[11], row[12], row[6], row[7], row[5],
    ];
    var html = "<h3>" + row[4] + "</h3><table>";
    o.fieldLabels.forEach(function (label, i) {
      if (values[i] !== null && values[i] !== undefined) {
        html += "<tr><th>" + label + "</th><td>" + values[i] + "</td></tr>";
      }
    });
    return html + "</table>";
  }

  // Sites: one marker per row [lat, lon, kind, status, name, ref, host, commune,
  // components, started, pilot since, replicated since, suspended since, plain name];
  // text values arrive HTML-escaped, the plain name only ever becomes a title attribute.
  tuquan.siteLayer = function (rows, options) {
    var group = options.cluster
      ? L.markerClusterGroup({ disableClusteringAtZoom: options.unclusterZoom, maxClusterRadius: 40 })
      : L.featureGroup();
    rows.forEach(function (row) {
      var div = iconElement("tq-site", options.colours[row[3]] || options.fallbackColour, row[13]);
      div.setAttribute("data-kind", row[2]);
      div.setAttribute("data-status", row[3]);
      div.appendChild(glyph(options.icons[row[2]] || options.icons[options.fallbackKind]));
      var marker = L.marker([row[0], row[1]], {
        icon: L.divIcon({ html: div, className: "tq-icon", iconSize: [24, 24], iconAnchor: [12, 12] }),
        title: row[13],
        keyboard: true,
      });
      marker.bindPopup(function () {
        return sitePopup(row, options);
      }, popupOptions({ maxWidth: 320, className: "tq-popup" }));
      group.addLayer(marker);
    });
    return group;
  };

  // Circles of one radius (metres) around points: rows [lat, lon, style key].
  tuquan.circleLayer = function (rows, options) {
    var group = L.featureGroup();
    rows.forEach(function (row) {
      var style = { radius: options.radiusM, interactive: false };
      var given = options.styles[row[2]];
      for (var key in given) style[key] = given[key];
      L.circle([row[0], row[1]], style).addTo(group);
    });
    return group;
  };

  // Ranked places: a numbered round marker per row [lat, lon, number, popupHtml, title].
  tuquan.numberedLayer = function (rows, options) {
    var group = L.featureGroup();
    group.byNumber = {}; // number → marker (tuquan.spreadMarkers, tuquan.rankList)
    rows.forEach(function (row) {
      var div = iconElement("tq-numbered " + (options.className || ""), options.colour, row[4]);
      div.textContent = String(row[2]);
      var marker = L.marker([row[0], row[1]], {
        // options.anchor moves a marker off its point, so that two layers' markers on one
        // commune (a candidate and the optimiser's choice) sit side by side.
        icon: L.divIcon({ html: div, className: "tq-icon", iconSize: [26, 26], iconAnchor: options.anchor || [13, 13] }),
        title: row[4],
        zIndexOffset: 1000 - row[2],
      });
      marker.bindPopup(row[3], popupOptions({ maxWidth: 440, minWidth: 320, className: "tq-popup" }));
      group.addLayer(marker);
      group.byNumber[row[2]] = marker;
    });
    return group;
  };

  var MARKER_PX = 26;
  var MARKER_GAP_PX = 31; // centre to centre: the marker and its white ring
  // Numbered markers of several layers that would overlap at the map's zoom are pushed
  // apart (in pixels, from where their anchors put them) until none covers another; a
  // thin line joins a moved marker to its place. Done again after every zoom.
  tuquan.spreadMarkers = function (map, groups) {
    var items = [];
    groups.forEach(function (group) {
      if (!group) return;
      group.leaders = L.featureGroup().addTo(group);
      Object.keys(group.byNumber).forEach(function (number) {
        var marker = group.byNumber[number];
        var icon = marker.options.icon;
        items.push({ marker: marker, icon: icon, group: group, anchor: L.point(icon.options.iconAnchor) });
      });
    });
    function spread() {
      var half = MARKER_PX / 2;
      items.forEach(function (item, i) {
        item.point = map.latLngToLayerPoint(item.marker.getLatLng());
        item.x = item.point.x - item.anchor.x + half;
        item.y = item.point.y - item.anchor.y + half;
        item.i = i;
      });
      for (var round = 0; round < 200; round++) {
        var moved = false;
        for (var a = 0; a < items.length; a++) {
          for (var b = a + 1; b < items.length; b++) {
            var p = items[a], q = items[b];
            var dx = q.x - p.x, dy = q.y - p.y, d = Math.sqrt(dx * dx + dy * dy);
            if (d >= MARKER_GAP_PX) continue;
            if (d < 0.01) {
              var angle = (b * 2.399963) % (2 * Math.PI); // golden angle: a stable direction
              dx = Math.cos(angle);
              dy = Math.sin(angle);
              d = 1;
            } else {
              dx /= d;
              dy /= d;
            }
            var push = (MARKER_GAP_PX - d) / 2 + 0.5;
            p.x -= dx * push;
            p.y -= dy * push;
            q.x += dx * push;
            q.y += dy * push;
            moved = true;
          }
        }
        if (!moved) break;
      }
      groups.forEach(function (group) {
        if (group) group.leaders.clearLayers();
      });
      items.forEach(function (item) {
        var ax = Math.round(item.point.x - item.x + half), ay = Math.round(item.point.y - item.y + half);
        item.icon.options.iconAnchor = L.point(ax, ay);
        item.icon.options.popupAnchor = L.point(half - ax, -ay);
        item.marker.setIcon(item.icon);
        var from = item.point, to = L.point(item.x, item.y);
        if (from.distanceTo(to) > half + 4) {
          L.polyline([map.layerPointToLatLng(from), map.layerPointToLatLng(to)], {
            color: "#333",
            weight: 1,
            opacity: 0.8,
            interactive: false,
            className: "tq-leader",
          }).addTo(item.group.leaders);
        }
      });
    }
    spread();
    map.on("zoomend", spread);
    return spread;
  };

  // The legend's ranked list: a click on a rank shows that candidate and opens its popup.
  tuquan.rankList = function (map, group) {
    map.getContainer().querySelectorAll(".tq-ranks [data-rank]").forEach(function (button) {
      L.DomEvent.on(button, "click", function (e) {
        L.DomEvent.preventDefault(e);
        var marker = group.byNumber[button.getAttribute("data-rank")];
        if (!marker) return;
        if (!map.hasLayer(group)) map.addLayer(group);
        map.setView(marker.getLatLng(), Math.max(map.getZoom(), 12), { animate: false });
        marker.openPopup();
      });
    });
  };
})();
