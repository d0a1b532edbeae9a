// siyu console: the few interactive parts, calling the JSON API with the session cookie and the CSRF header.
"use strict";
(function () {
  var csrfMeta = document.querySelector("meta[name=csrf-token]");
  var csrf = csrfMeta ? csrfMeta.content : "";

  function api(method, url, body, isForm) {
    var opts = {method: method, credentials: "same-origin", headers: {"X-CSRF-Token": csrf}};
    if (body !== undefined) {
      if (isForm) { opts.body = body; } else {
        opts.headers["Content-Type"] = "application/json";
        opts.body = JSON.stringify(body);
      }
    }
    return fetch(url, opts).then(function (r) {
      return r.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = {detail: text}; }
        return {ok: r.ok, status: r.status, data: data};
      });
    });
  }

  function el(tag, text, attrs) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }

  function table(items, link) {
    var t = el("table"); if (!items.length) { return t; }
    var head = el("tr"); Object.keys(items[0]).forEach(function (k) { head.appendChild(el("th", k)); });
    var thead = el("thead"); thead.appendChild(head); t.appendChild(thead);
    var tbody = el("tbody");
    items.forEach(function (row) {
      var tr = el("tr");
      Object.keys(items[0]).forEach(function (k) {
        var td = el("td"); var v = row[k] === null || row[k] === undefined ? "" : row[k];
        if (k === "person_id" && link) { td.appendChild(el("a", v, {href: link + encodeURIComponent(v)})); }
        else { td.textContent = typeof v === "object" ? JSON.stringify(v) : String(v); }
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
    t.appendChild(tbody); return t;
  }

  // --- segment builder ------------------------------------------------------------------------------------
  function builder(root) {
    var expr = document.getElementById("expr"), echo = document.getElementById("echo");
    var error = document.getElementById("expr-error"), count = document.getElementById("count");
    var timer = null, seq = 0;

    function show(text, start, end) {
      echo.textContent = "";
      if (start === null || start === undefined || end === null || end === undefined) { return; }
      var stop = Math.max(end + 1, start + 1);  // the API's end is the token's last character
      echo.appendChild(document.createTextNode(text.slice(0, start)));
      echo.appendChild(el("mark", text.slice(start, stop) || " ", {"data-testid": "error-token"}));
      echo.appendChild(document.createTextNode(text.slice(stop)));
    }

    function check() {
      var text = expr.value, mine = ++seq;
      if (!text.trim()) { count.textContent = "–"; error.textContent = ""; show(text); return; }
      count.textContent = root.dataset.msgChecking;
      api("POST", root.dataset.apiCount, {expression: text}).then(function (r) {
        if (mine !== seq) { return; }  // a later keystroke's answer wins
        if (r.ok) {
          count.textContent = Number(r.data.count).toLocaleString();
          error.textContent = ""; show(text); expr.removeAttribute("aria-invalid");
        } else {
          count.textContent = "–"; expr.setAttribute("aria-invalid", "true");
          var d = r.data || {}, msg = typeof d.detail === "string" ? d.detail : JSON.stringify(d.detail);
          error.textContent = msg + (d.hint ? " — " + d.hint : "");
          show(text, d.position ? d.position.start : null, d.position ? d.position.end : null);
        }
      });
    }

    expr.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(check, 350); });
    root.querySelectorAll("[data-insert]").forEach(function (b) {
      b.addEventListener("click", function () {
        var word = b.dataset.insert, s = expr.selectionStart, e = expr.selectionEnd, v = expr.value;
        var before = v.slice(0, s), pad = before && !/\s$/.test(before) ? " " : "";
        expr.value = before + pad + word + " " + v.slice(e);
        var at = (before + pad + word + " ").length;
        expr.focus(); expr.setSelectionRange(at, at); check();
      });
    });
    document.getElementById("preview").addEventListener("click", function () {
      var out = document.getElementById("preview-out");
      api("POST", root.dataset.apiPreview, {expression: expr.value}).then(function (r) {
        out.textContent = "";
        if (r.ok) { out.appendChild(table(r.data.items, "/console/customers/")); }
        else { out.appendChild(el("p", (r.data && r.data.detail) || r.status, {"class": "error"})); }
      });
    });
    var save = document.getElementById("save");
    if (save) {
      save.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var name = document.getElementById("seg-name").value, out = document.getElementById("save-out");
        api("PUT", "/segments/" + encodeURIComponent(name),
            {expression: expr.value, description: document.getElementById("seg-desc").value}).then(function (r) {
          out.className = r.ok ? "ok" : "error";
          out.textContent = r.ok ? root.dataset.msgSaved + " " + name + " (" + r.data.count + ")"
                                 : (typeof r.data.detail === "string" ? r.data.detail : JSON.stringify(r.data.detail));
        });
      });
    }
    check();
  }

  // --- segment export ---------------------------------------------------------------------------------------
  function exporter(root) {
    var out = document.getElementById("export-out");
    document.getElementById("export-start").addEventListener("click", function () {
      api("POST", "/segments/" + encodeURIComponent(root.dataset.segment) + "/exports", {unmask: false})
        .then(function (r) {
          if (!r.ok) { out.textContent = r.data.detail; return; }
          var id = r.data.job_id;
          (function poll() {
            api("GET", "/exports/" + id).then(function (s) {
              if (s.data.status === "done") {
                out.textContent = ""; out.appendChild(el("a", root.dataset.msgDone + " (" + s.data.rows + ")",
                                                         {href: "/exports/" + id + "/download"}));
              } else if (s.data.status === "failed") { out.textContent = s.data.message; }
              else { out.textContent = s.data.status; setTimeout(poll, 500); }
            });
          })();
        });
    });
  }

  // --- identity review: merge / keep apart / undo -------------------------------------------------------------
  function review(root) {
    root.querySelectorAll("[data-decide]").forEach(function (b) {
      b.addEventListener("click", function () {
        var pair = b.closest("[data-a]"), out = pair.querySelector("[role=status]");
        var body = {kind: b.dataset.decide, a: pair.dataset.a, b: pair.dataset.b, note: b.dataset.note || ""};
        api("POST", "/identity/decisions", body).then(function (r) {
          out.className = r.ok ? "ok" : "error";
          out.textContent = r.ok ? b.dataset.done + " #" + r.data.id
                                 : (typeof r.data.detail === "string" ? r.data.detail : JSON.stringify(r.data.detail));
          if (r.ok) { pair.dataset.decision = r.data.id; pair.querySelector("[data-undo]").hidden = false; }
        });
      });
    });
    root.querySelectorAll("[data-undo]").forEach(function (b) {
      b.addEventListener("click", function () {
        var pair = b.closest("[data-a]"), out = pair.querySelector("[role=status]");
        api("DELETE", "/identity/decisions/" + pair.dataset.decision).then(function (r) {
          out.className = r.ok ? "ok" : "error";
          out.textContent = r.ok ? b.dataset.done : r.data.detail;
          if (r.ok) { b.hidden = true; }
        });
      });
    });
  }

  // --- runs: start and follow -----------------------------------------------------------------------------
  function runs(root) {
    var out = document.getElementById("run-out"), log = document.getElementById("run-log");
    function follow() {
      api("GET", "/runs/current").then(function (r) {
        if (!r.ok) { return; }
        log.textContent = r.data.output.join("\n");
        out.textContent = r.data.running ? root.dataset.msgRunning
                                         : root.dataset.msgFinished + " " + r.data.exit_code;
        if (r.data.running) { setTimeout(follow, 1000); }
      });
    }
    var start = document.getElementById("run-start");
    if (start) {
      start.addEventListener("click", function () {
        api("POST", "/runs").then(function (r) {
          if (!r.ok) { out.textContent = r.data.detail; return; }
          follow();
        });
      });
    }
    if (root.dataset.current) { follow(); }
  }

  // --- imports: upload and see the mapping --------------------------------------------------------------------
  function uploads(form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var out = document.getElementById("upload-out"), source = form.elements.source.value;
      api("POST", "/imports/uploads", new FormData(form), true).then(function (r) {
        out.textContent = "";
        if (!r.ok) { out.appendChild(el("p", r.data.detail, {"class": "error", role: "alert"})); return; }
        var d = form.dataset, none = d.msgNone;
        var list = function (xs) { return xs && xs.length ? xs.join(", ") : none; };
        out.appendChild(el("p", d.msgKept + " " + r.data.upload + " (" + r.data.bytes + " B, " + r.data.encoding + ")"));
        out.appendChild(el("p", d.msgMissing + " " + list(r.data.missing_required),
                           {"class": r.data.missing_required.length ? "error" : "ok", "data-testid": "missing"}));
        out.appendChild(el("p", d.msgUnused + " " + list(r.data.unused_headers), {"data-testid": "unused"}));
        out.appendChild(table(r.data.fields.map(function (f) {
          var row = {}; row[d.msgField] = f.field; row[d.msgHeader] = f.header || "–";
          row[d.msgRequired] = f.required ? "✓" : ""; return row;
        })));
        if (!r.data.missing_required.length) { importer(form, out, r.data.upload, source); }
      });
    });
  }

  // --- imports: import the kept upload, follow the job, show the rows set aside --------------------------------
  function importer(form, out, upload, source) {
    var d = form.dataset, go = el("button", d.msgImport, {type: "button", id: "import-start"});
    var status = el("p", null, {role: "status", id: "import-out"});
    out.appendChild(el("p")).appendChild(go); out.appendChild(status);
    go.addEventListener("click", function () {
      go.disabled = true;
      api("POST", "/imports", {upload: upload, source: source}).then(function (r) {
        if (!r.ok) { status.className = "error"; status.textContent = detail(r); go.disabled = false; return; }
        (function poll() {
          api("GET", "/imports/jobs/" + r.data.job_id).then(function (s) {
            var job = s.data || {}, res = job.result || {};
            if (job.status === "failed") { status.className = "error"; status.textContent = res.message || ""; }
            else if (job.status !== "done") { status.textContent = d.msgImporting; setTimeout(poll, 500); }
            else {
              status.className = "ok"; status.setAttribute("data-testid", "imported");
              status.textContent = d.msgImported.replace("{read}", res.rows_read).replace("{loaded}", res.rows_loaded)
                .replace("{duplicate}", res.rows_duplicate).replace("{quarantined}", res.rows_quarantined);
              var held = table((res.quarantine || []).map(function (q) {
                var row = {}; row[d.msgRow] = q.row; row[d.msgField] = q.field || ""; row[d.msgReason] = q.reason;
                return row;
              }));
              held.setAttribute("data-testid", "set-aside");
              out.appendChild(held);
            }
          });
        })();
      });
    });
  }

  function detail(r) {
    var d = r.data || {};
    return typeof d.detail === "string" ? d.detail : JSON.stringify(d.detail);
  }

  // --- staff tasks: done, or skipped with a reason ----------------------------------------------------------
  function taskActions(root) {
    root.querySelectorAll("[data-task]").forEach(function (card) {
      var out = card.querySelector("[role=status]"), done = card.querySelector("[data-done]");
      var skip = card.querySelector("[data-skip]"), why = card.querySelector("[data-reason]");
      if (!done) { return; }
      function settle(b, r) {
        if (!r.ok) { out.className = "error"; out.textContent = detail(r); return; }
        out.className = "ok"; out.textContent = b.dataset.msg;
        card.dataset.status = r.data.status;
        card.querySelector("[data-testid=status]").textContent = b.dataset.msg;
        done.disabled = skip.disabled = why.disabled = true;
      }
      done.addEventListener("click", function () {
        api("POST", "/tasks/" + card.dataset.task + "/done").then(function (r) { settle(done, r); });
      });
      skip.addEventListener("click", function () {
        if (!why.value.trim()) {
          why.setAttribute("aria-invalid", "true"); out.className = "error"; out.textContent = skip.dataset.need;
          why.focus(); return;
        }
        why.removeAttribute("aria-invalid");
        api("POST", "/tasks/" + card.dataset.task + "/skip", {reason: why.value}).then(function (r) {
          settle(skip, r);
        });
      });
    });
  }

  // --- KOC roster: a state change with its reason -------------------------------------------------------------
  function kocMoves(root) {
    root.querySelectorAll("[data-koc]").forEach(function (form) {
      var b = form.querySelector("[data-move]"), why = form.querySelector("[data-why]");
      var to = form.querySelector("[data-to]"), out = form.querySelector("[role=status]");
      b.addEventListener("click", function () {
        if (!why.value.trim()) {
          why.setAttribute("aria-invalid", "true"); out.className = "error"; out.textContent = b.dataset.need;
          why.focus(); return;
        }
        why.removeAttribute("aria-invalid");
        api("POST", "/koc/" + encodeURIComponent(form.dataset.koc) + "/state", {state: to.value, reason: why.value})
          .then(function (r) {
            if (!r.ok) { out.className = "error"; out.textContent = detail(r); return; }
            out.className = "ok"; out.textContent = b.dataset.msg + " " + to.options[to.selectedIndex].text;
            b.disabled = why.disabled = to.disabled = true;
          });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var tk = document.getElementById("tasks"); if (tk) { taskActions(tk); }
    var k = document.getElementById("koc"); if (k) { kocMoves(k); }
    var b = document.getElementById("builder"); if (b) { builder(b); }
    var x = document.getElementById("export"); if (x) { exporter(x); }
    var q = document.getElementById("review"); if (q) { review(q); }
    var r = document.getElementById("runs"); if (r) { runs(r); }
    var u = document.getElementById("upload"); if (u) { uploads(u); }
  });
})();
