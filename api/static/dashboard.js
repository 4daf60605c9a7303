/* tuquan dashboard: client-side sorting of tables; nothing loaded from elsewhere. */
(function () {
  "use strict";

  var collator = new Intl.Collator(document.documentElement.lang || "vi", {
    numeric: true,
    sensitivity: "base"
  });

  function cellValue(row, index, type) {
    var cell = row.cells[index];
    var raw = cell ? (cell.getAttribute("data-value") || cell.textContent) : "";
    if (type === "number") {
      var number = parseFloat(raw);
      return isNaN(number) ? -Infinity : number;
    }
    return raw.trim();
  }

  function compare(x, y, type) {
    if (type === "number") {
      return (x > y) - (x < y);
    }
    return collator.compare(x, y);
  }

  function sortBy(header) {
    var table = header.closest("table");
    var headers = Array.prototype.slice.call(header.parentNode.children);
    var index = headers.indexOf(header);
    var type = header.getAttribute("data-sort");
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var order = compare(cellValue(a, index, type), cellValue(b, index, type), type);
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function start() {
    document.querySelectorAll("table.sortable th[data-sort] button").forEach(function (button) {
      button.addEventListener("click", function () { sortBy(button.parentNode); });
    });
    // One click, one planned site: the button is disabled while the form is sent.
    document.querySelectorAll("form.plan-form").forEach(function (form) {
      form.addEventListener("submit", function () {
        var button = form.querySelector("button");
        window.setTimeout(function () { button.disabled = true; }, 0);
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
