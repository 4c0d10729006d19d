// Sequenzia: small progressive enhancements. Every page works without this file.
"use strict";
(function () {
  // Thumbnails fade in over their placeholder colour; broken ones leave the colour.
  document.addEventListener("load", function (e) {
    if (e.target.tagName === "IMG") e.target.classList.add("loaded");
  }, true);
  document.addEventListener("error", function (e) {
    if (e.target.tagName === "IMG") e.target.classList.add("broken");
  }, true);
  function markLoaded(root) {
    root.querySelectorAll("img").forEach(function (img) {
      if (img.complete && img.naturalWidth) img.classList.add("loaded");
    });
  }

  // On a phone the folder list starts folded, so the grid comes first.
  if (window.matchMedia && window.matchMedia("(max-width: 800px)").matches) {
    var folders = document.querySelector(".sidebar details.folders");
    if (folders) folders.open = false;
  }

  // Confirm dangerous buttons.
  document.addEventListener("click", function (e) {
    var el = e.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) e.preventDefault();
  });

  // Copy a link or token.
  document.addEventListener("click", function (e) {
    var el = e.target.closest("[data-copy]");
    if (!el) return;
    var text = el.getAttribute("data-copy");
    var done = function () { var old = el.textContent; el.textContent = "Copied"; setTimeout(function () { el.textContent = old; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, function () { window.prompt("Copy:", text); });
    else { window.prompt("Copy:", text); }
  });

  // Share link: CDS makes a signed, expiring link; show it, select it, copy it.
  document.addEventListener("click", function (e) {
    var el = e.target.closest("[data-share]");
    if (!el) return;
    var box = document.querySelector(".share-result");
    var csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
    el.disabled = true;
    fetch(el.getAttribute("data-share"), {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrf ? csrf.value : "", "Accept": "application/json" }
    }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, body: body }; });
    }).then(function (res) {
      var input = box.querySelector(".share-url"), note = box.querySelector(".share-note");
      box.hidden = false;
      if (!res.ok) { input.value = ""; note.textContent = res.body.error || "Could not make a link."; return; }
      input.value = res.body.url;
      note.textContent = "Works without an account until " + new Date(res.body.expires_at).toLocaleString() + ".";
      input.focus(); input.select();
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(res.body.url).catch(function () {});
    }).catch(function () {
      box.hidden = false; box.querySelector(".share-note").textContent = "Network error: try again.";
    }).then(function () { el.disabled = false; });
  });

  // Filter form: colour picker fills the text field; empty fields stay out of the URL.
  document.querySelectorAll("[data-fills]").forEach(function (picker) {
    picker.addEventListener("input", function () { document.getElementById(picker.getAttribute("data-fills")).value = picker.value; });
  });
  document.querySelectorAll("form.filter-form").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("input, select").forEach(function (el) { if (!el.value && el.name) el.disabled = true; });
    });
  });

  // Bulk selection.
  var bulk = document.getElementById("bulk-form");
  function updateBulk() {
    if (!bulk) return;
    var n = document.querySelectorAll('input[form="bulk-form"]:checked').length;
    bulk.hidden = n === 0;
    document.body.classList.toggle("selecting", n > 0);
    bulk.querySelector(".count").textContent = n + " selected";
  }
  document.addEventListener("change", function (e) { if (e.target.getAttribute("form") === "bulk-form") updateBulk(); });
  document.addEventListener("click", function (e) {
    if (e.target.closest('[data-select="none"]')) {
      document.querySelectorAll('input[form="bulk-form"]:checked').forEach(function (c) { c.checked = false; });
      updateBulk();
    }
  });

  // Infinite scroll: fetch the next page when its link comes into view.
  var grid = document.getElementById("grid");
  if (grid) markLoaded(grid);
  function loadNext(link) {
    if (link.dataset.loading) return;
    link.dataset.loading = "1";
    link.textContent = "Loading…";
    var url = link.href + (link.href.indexOf("?") < 0 ? "?" : "&") + "partial=1";
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        var box = document.createElement("div");
        box.innerHTML = html; // our own server-rendered, autoescaped fragment
        link.remove();
        while (box.firstChild) grid.appendChild(box.firstChild);
        watchNext();
      })
      .catch(function () { link.textContent = "Next page"; delete link.dataset.loading; });
  }
  var observer = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (en) { if (en.isIntersecting) { observer.unobserve(en.target); loadNext(en.target); } });
  }, { rootMargin: "800px" }) : null;
  function watchNext() {
    if (!grid || !observer) return;
    var link = grid.querySelector("a.next-page");
    if (link) observer.observe(link);
  }
  watchNext();

  // Live updates: new files in the open folders appear at the top.
  if (grid && grid.dataset.liveOn && "WebSocket" in window) {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    var folders = grid.dataset.live;
    var connect = function (delay) {
      var ws = new WebSocket(proto + location.host + "/ws/gallery/" + (folders ? "?folders=" + encodeURIComponent(folders) : ""));
      ws.onmessage = function (ev) {
        var msg = JSON.parse(ev.data);
        if (msg.type !== "file" || grid.querySelector('[data-id="' + msg.id + '"]')) return;
        grid.insertBefore(tile(msg), grid.firstChild);
        var empty = document.querySelector(".empty"); if (empty) empty.remove();
      };
      ws.onclose = function () { setTimeout(function () { connect(Math.min(delay * 2, 60000)); }, delay); };
    };
    connect(2000);
  }
  function tile(msg) {
    var fig = document.createElement("figure"); fig.className = "tile fresh"; fig.dataset.id = msg.id;
    var pick = document.createElement("label"); pick.className = "pick";
    var box = document.createElement("input"); box.type = "checkbox"; box.name = "file"; box.value = msg.id; box.setAttribute("form", "bulk-form");
    pick.appendChild(box); fig.appendChild(pick);
    var a = document.createElement("a"); a.className = "thumb"; a.href = msg.url;
    a.style.backgroundColor = msg.color || "var(--placeholder)";
    if (msg.width && msg.height) a.style.aspectRatio = msg.width + " / " + msg.height;
    if (msg.thumbnail) { var img = document.createElement("img"); img.loading = "lazy"; img.alt = msg.name; img.src = msg.thumbnail; a.appendChild(img); }
    else { var s = document.createElement("span"); s.className = "kind-icon"; s.textContent = (msg.kind || "").toUpperCase(); a.appendChild(s); }
    fig.appendChild(a);
    var cap = document.createElement("figcaption"); cap.textContent = msg.name; cap.title = msg.name; fig.appendChild(cap);
    return fig;
  }
})();
