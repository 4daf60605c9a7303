/* tuquan map controls: HTML boxes (title, legend, labels), fullscreen, commune search.
 * Text from data is only ever set with textContent here; HTML given to htmlControl was
 * built and escaped in Python (maps/text.py). */
(function () {
  "use strict";
  var tuquan = (window.tuquan = window.tuquan || {});

  // A box whose content is HTML built (and escaped) by Python.
  tuquan.htmlControl = function (map, html, options) {
    var Box = L.Control.extend({
      onAdd: function () {
        var div = L.DomUtil.create("div", "tq-box " + (options.className || ""));
        div.innerHTML = html;
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        return div;
      },
    });
    return new Box({ position: options.position || "topright" }).addTo(map);
  };

  tuquan.attribution = function (map, html) {
    if (map.attributionControl) map.attributionControl.addAttribution(html);
  };

  // Lower case, no diacritics, đ → d: "Ninh Hải" and "ninh hai" compare equal.
  var fold = (tuquan.fold = function (text) {
    return String(text || "")
      .replace(/đ/g, "d")
      .replace(/Đ/g, "D")
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, " ")
      .trim();
  });
  // People type "xã Ninh Hải", "P. Phủ Lý": the unit type is not part of the name.
  var UNIT_PREFIX = /^(xa|phuong|thi tran|dac khu|tt|p|x) /;

  var SVG_NS = "http://www.w3.org/2000/svg";
  function fullscreenIcon() {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 16 16");
    svg.setAttribute("width", "16");
    svg.setAttribute("height", "16");
    var path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", "M1 5V1h4M11 1h4v4M15 11v4h-4M5 15H1v-4");
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", "currentColor");
    path.setAttribute("stroke-width", "2");
    svg.appendChild(path);
    return svg;
  }

  tuquan.fullscreen = function (map, options) {
    var target = map.getContainer();
    if (!target.requestFullscreen) return null; // e.g. inside a sandboxed frame
    var Button = L.Control.extend({
      onAdd: function () {
        var bar = L.DomUtil.create("div", "leaflet-bar tq-fullscreen");
        var link = L.DomUtil.create("a", "", bar);
        link.href = "#";
        link.setAttribute("role", "button");
        link.title = options.title;
        link.setAttribute("aria-label", options.title);
        link.appendChild(fullscreenIcon());
        L.DomEvent.on(link, "click", function (e) {
          L.DomEvent.preventDefault(e);
          if (document.fullscreenElement) document.exitFullscreen();
          else target.requestFullscreen();
        });
        L.DomEvent.disableClickPropagation(bar);
        return bar;
      },
    });
    document.addEventListener("fullscreenchange", function () {
      map.invalidateSize();
    });
    return new Button({ position: options.position || "topleft" }).addTo(map);
  };

  function matchRank(key, query) {
    if (key === query) return 0;
    if (key.indexOf(query) === 0) return 1;
    if ((" " + key).indexOf(" " + query) >= 0) return 2;
    if (key.indexOf(query) >= 0) return 3;
    return -1;
  }

  // Search the communes of a GeoJSON layer by current name and by pre-2025 names.
  tuquan.communeSearch = function (map, layer, options) {
    var aliases = options.aliases || {};
    var entries = [];
    var highlighted = null;
    layer.eachLayer(function (shape) {
      var p = shape.feature.properties;
      entries.push({ key: fold(p.name), label: p.name, detail: p.unit_type || "", shape: shape, former: false });
      (aliases[p.code] || []).forEach(function (old) {
        entries.push({
          key: fold(old[0]),
          label: old[0],
          detail: options.formerLabel + " (" + old[1] + ") → " + p.name,
          shape: shape,
          former: true,
        });
      });
    });

    var Search = L.Control.extend({
      onAdd: function () {
        var box = L.DomUtil.create("div", "tq-box tq-search");
        var input = L.DomUtil.create("input", "tq-search-input", box);
        input.type = "search";
        input.placeholder = options.placeholder;
        input.setAttribute("aria-label", options.placeholder);
        var list = L.DomUtil.create("ul", "tq-search-results", box);
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);

        function select(entry) {
          if (highlighted) layer.resetStyle(highlighted);
          highlighted = entry.shape;
          entry.shape.setStyle(options.highlightStyle);
          entry.shape.bringToFront();
          map.fitBounds(entry.shape.getBounds(), { maxZoom: 13 });
          if (entry.shape.getTooltip()) entry.shape.openTooltip(entry.shape.getBounds().getCenter());
          box.setAttribute("data-selected", entry.shape.feature.properties.code);
          input.value = entry.former ? entry.label + " → " + entry.shape.feature.properties.name : entry.label;
          list.replaceChildren();
        }

        function update() {
          var query = fold(input.value).replace(UNIT_PREFIX, "");
          list.replaceChildren();
          if (!query) return [];
          var found = [];
          entries.forEach(function (entry) {
            var rank = matchRank(entry.key, query);
            if (rank >= 0) found.push({ rank: rank, entry: entry });
          });
          found.sort(function (a, b) {
            return (
              a.rank - b.rank ||
              a.entry.former - b.entry.former ||
              a.entry.label.localeCompare(b.entry.label, "vi")
            );
          });
          found = found.slice(0, options.maxResults || 8);
          if (!found.length) {
            var none = L.DomUtil.create("li", "tq-search-none", list);
            none.textContent = options.noneLabel;
          }
          found.forEach(function (hit) {
            var item = L.DomUtil.create("li", "tq-search-hit" + (hit.entry.former ? " tq-former" : ""), list);
            var name = L.DomUtil.create("b", "", item);
            name.textContent = hit.entry.label;
            var detail = L.DomUtil.create("small", "", item);
            detail.textContent = hit.entry.detail;
            L.DomEvent.on(item, "click", function () {
              select(hit.entry);
            });
          });
          return found;
        }

        L.DomEvent.on(input, "input", update);
        L.DomEvent.on(input, "keydown", function (e) {
          if (e.key === "Enter") {
            var found = update();
            if (found.length) select(found[0].entry);
          } else if (e.key === "Escape") {
            input.value = "";
            list.replaceChildren();
          }
        });
        return box;
      },
    });
    return new Search({ position: options.position || "topleft" }).addTo(map);
  };

  // Small maps (a dashboard frame, a phone): the controls fold so the communes stay
  // visible and clickable. Below options.below px of width the layer list collapses to
  // its button, the title to one line (a click opens it) and each legend behind a toggle.
  tuquan.compact = function (map, layers, options) {
    var container = map.getContainer();
    var below = options.below || 800;
    var state = null;
    var legends = Array.prototype.slice.call(container.querySelectorAll(".tq-legend"));
    function fold(box, folded) {
      L.DomUtil[folded ? "addClass" : "removeClass"](box, "tq-folded");
      box.querySelector(".tq-fold").setAttribute("aria-expanded", String(!folded));
    }
    legends.forEach(function (box) {
      var button = L.DomUtil.create("button", "tq-fold");
      button.type = "button";
      button.textContent = options.legendLabel;
      box.insertBefore(button, box.firstChild);
      L.DomEvent.on(button, "click", function () {
        fold(box, !L.DomUtil.hasClass(box, "tq-folded"));
      });
    });
    var title = container.querySelector(".tq-title");
    if (title) {
      title.title = options.titleHint;
      L.DomEvent.on(title, "click", function () {
        if (state) title.classList.toggle("tq-open");
      });
    }
    if (layers) {
      // Created open (collapsed: false): fold it again when the pointer leaves or the map is clicked.
      L.DomEvent.on(layers.getContainer(), "mouseleave", function () {
        if (state) layers.collapse();
      });
      map.on("click", function () {
        if (state) layers.collapse();
      });
    }
    function apply() {
      var small = container.clientWidth < below;
      if (small === state) return;
      state = small;
      L.DomUtil[small ? "addClass" : "removeClass"](container, "tq-compact");
      legends.forEach(function (box) {
        fold(box, small);
      });
      if (title && !small) L.DomUtil.removeClass(title, "tq-open");
      if (layers) {
        if (small) layers.collapse();
        else layers.expand();
      }
    }
    apply();
    if (state && options.bounds) {
      map.fitBounds(options.bounds, { animate: false, paddingTopLeft: [0, 24] });
    }
    map.on("resize", apply);
    return { isCompact: function () { return state; } };
  };
})();
