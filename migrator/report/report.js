/* migrator report: findings table (filters, pages, URL-fragment state) and table search boxes.
 *
 * All findings are embedded as JSON in <script id="findings-data">; only one page of them is turned
 * into table rows at a time, so the page stays fast with hundreds of thousands of findings. Source
 * text is only ever inserted with textContent, never parsed as HTML.
 *
 * The filter state lives in the URL fragment, so a link can preselect it:
 *   report.html#severity=error,warning&kind=date.unparsable&q=alice&page=2&size=500
 * (a ?query with the same parameters works too). Fragments without "=" are plain section anchors.
 */
(function () {
  "use strict";

  var COL = { severity: 0, kind: 1, file: 2, row: 3, key: 4, field: 5, value: 6, message: 7, hint: 8 };
  var SEARCHED = [COL.file, COL.key, COL.field, COL.value, COL.message];
  var PAGE_SIZES = [50, 100, 500, 1000];
  var DEFAULT_SIZE = 100;
  var LABELS = { error: "Errors", warning: "Warnings", info: "Info" };

  function byId(id) { return document.getElementById(id); }
  function fmt(n) { return n.toLocaleString("en-US"); }
  function terms(text) { return text.toLowerCase().split(/\s+/).filter(Boolean); }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  /* ---------------------------------------------------------------- state <-> URL */

  function defaultState() {
    return { severities: [], kind: "", q: "", page: 1, size: DEFAULT_SIZE };
  }

  function isFilterFragment(fragment) { return fragment.indexOf("=") !== -1; }

  function parseState(text, data) {
    var params = new URLSearchParams(text);
    var state = defaultState();
    params.getAll("severity").forEach(function (value) {
      value.split(",").forEach(function (s) {
        if (data.severities.indexOf(s) !== -1 && state.severities.indexOf(s) === -1) { state.severities.push(s); }
      });
    });
    state.kind = params.get("kind") || "";
    state.q = params.get("q") || "";
    state.page = Math.max(1, parseInt(params.get("page"), 10) || 1);
    var size = parseInt(params.get("size"), 10);
    state.size = PAGE_SIZES.indexOf(size) !== -1 ? size : DEFAULT_SIZE;
    return state;
  }

  function initialState(data) {
    var fragment = location.hash.slice(1);
    if (isFilterFragment(fragment)) { return parseState(fragment, data); }
    return parseState(location.search.slice(1), data);
  }

  function stateToFragment(state) {
    var params = new URLSearchParams();
    if (state.severities.length) { params.set("severity", state.severities.join(",")); }
    if (state.kind) { params.set("kind", state.kind); }
    if (state.q) { params.set("q", state.q); }
    if (state.page > 1) { params.set("page", String(state.page)); }
    if (state.size !== DEFAULT_SIZE) { params.set("size", String(state.size)); }
    return params.toString();
  }

  function writeFragment(state) {
    var fragment = stateToFragment(state);
    var current = location.hash.slice(1);
    if (!fragment && !isFilterFragment(current)) { return; }  // keep plain section anchors alone
    var url = location.pathname + location.search + (fragment ? "#" + fragment : "#findings");
    try {
      history.replaceState(null, "", url);
    } catch (err) {
      console.warn("migrator report: cannot update the address bar", err);
    }
  }

  /* ---------------------------------------------------------------- filtering */

  /* file, field and hint repeat a lot, so they are stored once in data.strings and referenced by index */
  function cellValue(data, row, column) {
    var value = row[column];
    return value !== null && data.internedColumns[column] ? data.strings[value] : value;
  }

  function Findings(data) {
    data.internedColumns = {};
    data.interned.forEach(function (name) { data.internedColumns[COL[name]] = true; });
    this.data = data;
    this.rows = data.rows;
    this.haystack = null;
  }

  Findings.prototype.searchText = function (index) {
    if (!this.haystack) {
      var data = this.data;
      this.haystack = this.rows.map(function (row) {
        return SEARCHED.map(function (c) { var v = cellValue(data, row, c); return v === null ? "" : String(v); })
          .join("\n").toLowerCase();
      });
    }
    return this.haystack[index];
  };

  Findings.prototype.match = function (state) {
    var severities = state.severities.map(function (s) { return this.data.severities.indexOf(s); }, this);
    var kind = state.kind ? this.data.kinds.indexOf(state.kind) : -1;
    var words = terms(state.q);
    var matched = [];
    for (var i = 0; i < this.rows.length; i++) {
      var row = this.rows[i];
      if (severities.length && severities.indexOf(row[COL.severity]) === -1) { continue; }
      if (state.kind && row[COL.kind] !== kind) { continue; }
      if (words.length && !containsAll(this.searchText(i), words)) { continue; }
      matched.push(i);
    }
    return matched;
  };

  function containsAll(text, words) {
    for (var i = 0; i < words.length; i++) {
      if (text.indexOf(words[i]) === -1) { return false; }
    }
    return true;
  }

  /* ---------------------------------------------------------------- rendering */

  function textCell(value, className) {
    var td = el("td", className);
    if (value === null || value === "") {
      td.classList.add("null");
      td.textContent = "\u2014";
    } else {
      td.textContent = String(value);
    }
    return td;
  }

  /* a long value scrolls inside its cell instead of stretching the row; nothing is cut */
  function scrollingCell(value, className) {
    var td = textCell(null, className);
    if (value === null || value === "") { return td; }
    td.classList.remove("null");
    td.replaceChildren(el("div", "cell-scroll", value));
    return td;
  }

  function findingRow(row, data) {
    var severity = data.severities[row[COL.severity]];
    var kind = data.kinds[row[COL.kind]];
    var tr = el("tr");
    tr.dataset.severity = severity;
    tr.dataset.kind = kind;
    var sevCell = el("td", "nowrap");
    sevCell.appendChild(el("span", "badge " + severity, severity));
    tr.appendChild(sevCell);
    var kindCell = el("td", "nowrap");
    kindCell.appendChild(el("code", "", kind));
    tr.appendChild(kindCell);
    var file = cellValue(data, row, COL.file);
    var hint = cellValue(data, row, COL.hint);
    var where = file === null ? null : file + (row[COL.row] === null ? "" : " row " + row[COL.row]);
    tr.appendChild(textCell(where, "text where"));
    tr.appendChild(textCell(row[COL.key], "nowrap"));
    tr.appendChild(textCell(cellValue(data, row, COL.field), "text short"));
    tr.appendChild(scrollingCell(row[COL.value], "value"));
    var message = el("td", "text message", row[COL.message]);
    if (hint) { message.appendChild(el("span", "hint", hint)); }
    tr.appendChild(message);
    return tr;
  }

  function emptyRow(total) {
    var tr = el("tr", "empty-row");
    var td = el("td", "empty", total ? "No findings match these filters." : "No findings: nothing to review.");
    td.colSpan = 7;
    tr.appendChild(td);
    return tr;
  }

  function statusLine(node, shownFrom, shownTo, matching, total, pages) {
    node.replaceChildren();
    if (!total) {
      node.appendChild(el("strong", "", "No findings."));
      return;
    }
    if (!matching) {
      node.append("No findings match these filters (", fmt(total), " findings in total).");
      return;
    }
    node.append("Showing ");
    node.appendChild(el("strong", "", fmt(shownFrom) + "\u2013" + fmt(shownTo)));
    node.append(" of ");
    node.appendChild(el("strong", "", fmt(matching)));
    node.append(matching === total ? " findings." : " matching findings (" + fmt(total) + " in total).");
    if (pages > 1) {
      node.append(" The table shows one page at a time; all " + fmt(total) +
        " findings are stored in this file \u2014 page through them or narrow the filters.");
    }
  }

  /* ---------------------------------------------------------------- the findings view */

  function FindingsView(findings) {
    this.findings = findings;
    this.data = findings.data;
    this.state = initialState(this.data);
    this.body = byId("findings-body");
    this.table = byId("findings-table");
    this.status = byId("findings-status");
    this.search = byId("text-filter");
    this.kindSelect = byId("kind-filter");
    this.sizeSelect = byId("page-size");
    this.chips = [];
    this.searchTimer = null;
  }

  FindingsView.prototype.counts = function (column, size) {
    var counts = new Array(size).fill(0);
    this.findings.rows.forEach(function (row) { counts[row[column]] += 1; });
    return counts;
  };

  FindingsView.prototype.buildControls = function () {
    var view = this;
    var sevCounts = this.counts(COL.severity, this.data.severities.length);
    var chipBox = byId("severity-filter");
    this.data.severities.forEach(function (severity, i) {
      var chip = el("button", "chip " + severity, LABELS[severity] || severity);
      chip.type = "button";
      chip.dataset.severity = severity;
      chip.appendChild(el("span", "n", fmt(sevCounts[i])));
      chip.addEventListener("click", function () { view.toggleSeverity(severity); });
      chipBox.appendChild(chip);
      view.chips.push(chip);
    });
    var kindCounts = this.counts(COL.kind, this.data.kinds.length);
    this.data.kinds.forEach(function (kind, i) {
      var option = el("option", "", kind + " (" + fmt(kindCounts[i]) + ")");
      option.value = kind;
      view.kindSelect.appendChild(option);
    });
    this.kindSelect.addEventListener("change", function () { view.update({ kind: view.kindSelect.value }); });
    this.sizeSelect.addEventListener("change", function () { view.update({ size: parseInt(view.sizeSelect.value, 10) }); });
    this.search.addEventListener("input", function () {
      clearTimeout(view.searchTimer);
      view.searchTimer = setTimeout(function () { view.update({ q: view.search.value }); }, 150);
    });
    byId("clear-filters").addEventListener("click", function () { view.state = defaultState(); view.render(); });
    byId("findings-pager").addEventListener("click", function (event) {
      var button = event.target.closest("button[data-page]");
      if (button) { view.turn(button.dataset.page); }
    });
    window.addEventListener("hashchange", function () { view.followFragment(); });
  };

  FindingsView.prototype.toggleSeverity = function (severity) {
    var selected = this.state.severities.slice();
    var at = selected.indexOf(severity);
    if (at === -1) { selected.push(severity); } else { selected.splice(at, 1); }
    this.update({ severities: selected });
  };

  FindingsView.prototype.update = function (changes) {
    Object.keys(changes).forEach(function (key) { this.state[key] = changes[key]; }, this);
    this.state.page = 1;
    this.render();
  };

  FindingsView.prototype.turn = function (where) {
    var steps = { first: -Infinity, prev: -1, next: 1, last: Infinity };
    this.state.page += steps[where];
    this.render();
  };

  FindingsView.prototype.followFragment = function () {
    var fragment = location.hash.slice(1);
    if (!isFilterFragment(fragment)) { return; }
    this.state = parseState(fragment, this.data);
    this.render();
    byId("findings").scrollIntoView();
  };

  FindingsView.prototype.syncControls = function (pages) {
    var state = this.state;
    this.chips.forEach(function (chip) {
      chip.setAttribute("aria-pressed", String(state.severities.indexOf(chip.dataset.severity) !== -1));
    });
    if (state.kind && !Array.prototype.some.call(this.kindSelect.options, function (o) { return o.value === state.kind; })) {
      var unknown = el("option", "", state.kind + " (0)");
      unknown.value = state.kind;
      this.kindSelect.appendChild(unknown);
    }
    this.kindSelect.value = state.kind;
    this.sizeSelect.value = String(state.size);
    if (this.search.value !== state.q) { this.search.value = state.q; }
    var pager = byId("findings-pager");
    pager.querySelector("[data-page=first]").disabled = state.page <= 1;
    pager.querySelector("[data-page=prev]").disabled = state.page <= 1;
    pager.querySelector("[data-page=next]").disabled = state.page >= pages;
    pager.querySelector("[data-page=last]").disabled = state.page >= pages;
    byId("page-label").textContent = "Page " + fmt(state.page) + " of " + fmt(pages);
    pager.hidden = pages <= 1;
  };

  FindingsView.prototype.render = function () {
    var state = this.state;
    var matched = this.findings.match(state);
    var pages = Math.max(1, Math.ceil(matched.length / state.size));
    state.page = Math.min(Math.max(1, state.page), pages);
    var start = (state.page - 1) * state.size;
    var shown = matched.slice(start, start + state.size);
    var fragment = document.createDocumentFragment();
    shown.forEach(function (i) { fragment.appendChild(findingRow(this.findings.rows[i], this.data)); }, this);
    if (!shown.length) { fragment.appendChild(emptyRow(this.findings.rows.length)); }
    this.body.replaceChildren(fragment);
    statusLine(this.status, start + 1, start + shown.length, matched.length, this.findings.rows.length, pages);
    this.table.dataset.matching = String(matched.length);
    this.table.dataset.shown = String(shown.length);
    this.table.dataset.page = String(state.page);
    this.table.dataset.ready = "true";
    this.syncControls(pages);
    writeFragment(state);
  };

  /* ---------------------------------------------------------------- search boxes over static tables */

  function TableFilter(tools) {
    this.rows = Array.prototype.slice.call(byId(tools.dataset.table).tBodies[0].rows);
    this.texts = null;
    this.search = tools.querySelector("input[type=search]");
    this.onlyProblems = tools.querySelector("input[type=checkbox]");
    this.count = tools.querySelector(".count");
    var filter = this;
    this.search.addEventListener("input", function () { filter.apply(); });
    if (this.onlyProblems) { this.onlyProblems.addEventListener("change", function () { filter.apply(); }); }
  }

  TableFilter.prototype.apply = function () {
    var words = terms(this.search.value);
    var problemsOnly = this.onlyProblems && this.onlyProblems.checked;
    if (words.length && !this.texts) {
      this.texts = this.rows.map(function (row) { return row.textContent.toLowerCase(); });
    }
    var shown = 0;
    this.rows.forEach(function (row, i) {
      var flagged = row.classList.contains("problem") || row.classList.contains("attention");
      var visible = (!problemsOnly || flagged) && (!words.length || containsAll(this.texts[i], words));
      row.hidden = !visible;
      shown += visible ? 1 : 0;
    }, this);
    this.count.textContent = "Showing " + fmt(shown) + " of " + fmt(this.rows.length);
  };

  /* ---------------------------------------------------------------- start */

  function start() {
    var data = JSON.parse(byId("findings-data").textContent);
    var view = new FindingsView(new Findings(data));
    view.buildControls();
    view.render();
    if (isFilterFragment(location.hash.slice(1))) { byId("findings").scrollIntoView(); }
    document.querySelectorAll(".table-tools[data-table]").forEach(function (tools) { new TableFilter(tools).apply(); });
  }

  start();
})();
