/* The target grid edited like a spreadsheet (issue 14 §1), no dependency but htmx:
   - arrows move between cells (left / right at the text's edge), Enter moves down, Shift+Enter up;
   - typing updates the sum of the rows below and the gap of that column at once (client side);
   - leaving a changed cell posts it (with its row's version) and htmx swaps the level back in;
   - a block pasted from Excel (tab-separated lines) fills the cells from the focused one, right and
     down, and is posted in one request. */
(function () {
  "use strict";

  function table() { return document.querySelector("table[data-grid]"); }

  function number(text) {
    var n = parseFloat(String(text).replace(/[,\s\u00a0]/g, ""));
    return isNaN(n) ? 0 : n;
  }

  function cellValue(el) { return el.tagName === "INPUT" ? number(el.value) : number(el.dataset.value); }

  function recompute(col) {
    var t = table();
    if (!t || t.dataset.additive !== "1") return;
    var sum = 0;
    t.querySelectorAll("[data-child][data-col='" + col + "']").forEach(function (el) { sum += cellValue(el); });
    var parent = t.querySelector("[data-parent][data-col='" + col + "']");
    var sumCell = t.querySelector("[data-sum='" + col + "']");
    var gapCell = t.querySelector("[data-gap='" + col + "']");
    if (sumCell) sumCell.textContent = sum.toFixed(2);
    if (gapCell && parent) {
      var gap = Math.round((cellValue(parent) - sum) * 100) / 100;
      gapCell.textContent = gap.toFixed(2);
      gapCell.className = gap === 0 ? "good" : "bad";
    }
  }

  function grid() {
    var rows = [];
    var t = table();
    if (!t) return rows;
    t.querySelectorAll("tbody tr").forEach(function (tr) {
      rows.push(Array.prototype.slice.call(tr.querySelectorAll("td")).map(function (td) {
        return td.querySelector("input.cell");
      }));
    });
    return rows;
  }

  function position(input) {
    var rows = grid();
    for (var r = 0; r < rows.length; r++) {
      var c = rows[r].indexOf(input);
      if (c >= 0) return { rows: rows, r: r, c: c };
    }
    return null;
  }

  function move(input, dr, dc) {
    var p = position(input);
    if (!p) return;
    var r = p.r + dr, c = p.c + dc;
    while (r >= 0 && r < p.rows.length && c >= 0 && c < p.rows[r].length) {
      var target = p.rows[r][c];
      if (target) { target.focus(); target.select(); return; }
      r += dr; c += dc;
    }
  }

  function post(inputs) {
    var t = table();
    if (!t || !inputs.length) return;
    var values = { row: t.dataset.row };
    inputs.forEach(function (input) {
      var tr = input.closest("tr");
      values[input.name] = input.value;
      values["v-" + tr.dataset.rowId] = tr.dataset.version;
      input.dataset.saved = input.value;
    });
    window.htmx.ajax("POST", t.dataset.cellsUrl, { target: "#grid-level", swap: "innerHTML", values: values });
  }

  document.addEventListener("focusin", function (e) {
    var input = e.target;
    if (input.matches && input.matches("table[data-grid] input.cell") && input.dataset.saved === undefined) {
      input.dataset.saved = input.value;
    }
  });

  document.addEventListener("input", function (e) {
    if (e.target.matches && e.target.matches("table[data-grid] input.cell")) recompute(e.target.dataset.col);
  });

  document.addEventListener("change", function (e) {
    var input = e.target;
    if (!(input.matches && input.matches("table[data-grid] input.cell"))) return;
    if (input.value !== input.dataset.saved) post([input]);
  });

  document.addEventListener("keydown", function (e) {
    var input = e.target;
    if (!(input.matches && input.matches("table[data-grid] input.cell"))) return;
    var atStart = input.selectionStart === 0 && input.selectionEnd === 0;
    var atEnd = input.selectionStart === input.value.length;
    if (e.key === "ArrowDown" || (e.key === "Enter" && !e.shiftKey)) { e.preventDefault(); move(input, 1, 0); }
    else if (e.key === "ArrowUp" || (e.key === "Enter" && e.shiftKey)) { e.preventDefault(); move(input, -1, 0); }
    else if (e.key === "ArrowLeft" && atStart) { e.preventDefault(); move(input, 0, -1); }
    else if (e.key === "ArrowRight" && atEnd) { e.preventDefault(); move(input, 0, 1); }
  });

  document.addEventListener("paste", function (e) {
    var input = e.target;
    if (!(input.matches && input.matches("table[data-grid] input.cell"))) return;
    var text = (e.clipboardData || window.clipboardData).getData("text");
    if (text.indexOf("\t") < 0 && text.indexOf("\n") < 0) return; // one value: the browser pastes it
    e.preventDefault();
    var lines = text.replace(/\r/g, "").replace(/\n$/, "").split("\n");
    var p = position(input);
    var changed = [];
    lines.forEach(function (line, i) {
      var row = p.rows[p.r + i];
      if (!row) return;
      line.split("\t").forEach(function (value, j) {
        var target = row[p.c + j];
        if (!target) return;
        var clean = value.replace(/[,\s\u00a0]/g, "");
        if (target.value !== clean) {
          if (target.dataset.saved === undefined) target.dataset.saved = target.value;
          target.value = clean;
          changed.push(target);
        }
      });
    });
    changed.forEach(function (t) { recompute(t.dataset.col); });
    post(changed);
  });
})();
