// Upload page: drag and drop of files and folders, one request per file with a progress bar.
"use strict";
(function () {
  var form = document.getElementById("upload-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  var zone = document.getElementById("dropzone");
  var list = document.getElementById("upload-list");
  var fileInput = document.getElementById("file-input");
  var folderInput = document.getElementById("folder-input");
  var queue = [];
  var running = 0;
  var PARALLEL = 2;

  function csrf() { return form.querySelector("[name=csrfmiddlewaretoken]").value; }

  function add(files) {
    Array.prototype.forEach.call(files, function (file) {
      var li = document.createElement("li");
      var name = document.createElement("span"); name.className = "name"; name.textContent = file.webkitRelativePath || file.name;
      var bar = document.createElement("progress"); bar.max = 100; bar.value = 0;
      var status = document.createElement("span"); status.className = "status"; status.textContent = "waiting";
      li.appendChild(name); li.appendChild(bar); li.appendChild(status);
      list.appendChild(li);
      queue.push({ file: file, li: li, bar: bar, status: status });
    });
    pump();
  }

  function pump() {
    while (running < PARALLEL && queue.length) send(queue.shift());
  }

  function send(job) {
    running++;
    var data = new FormData();
    if (form.elements.channel) data.append("channel", form.elements.channel.value);
    if (form.elements.new_folder && form.elements.new_folder.value) data.append("new_folder", form.elements.new_folder.value);
    data.append("files", job.file, job.file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRFToken", csrf());
    xhr.setRequestHeader("Accept", "application/json");
    job.status.textContent = "uploading";
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) { job.bar.value = Math.round(e.loaded / e.total * 100); job.status.textContent = job.bar.value + "%"; }
    };
    xhr.onload = function () {
      var result;
      try { result = JSON.parse(xhr.responseText).results[0]; } catch (err) { result = { ok: false, error: "the server answered " + xhr.status }; }
      job.bar.value = 100;
      job.status.textContent = "";
      if (result.ok) {
        job.li.className = "ok";
        var a = document.createElement("a"); a.href = result.url; a.textContent = result.stored_as;
        job.status.appendChild(document.createTextNode(result.duplicate ? "already there: " : "stored: "));
        job.status.appendChild(a);
      } else {
        job.li.className = "failed";
        job.status.textContent = result.error || "failed";
      }
      done();
    };
    xhr.onerror = function () { job.li.className = "failed"; job.status.textContent = "network error"; done(); };
    xhr.send(data);
  }

  function done() { running--; pump(); }

  // Walk dropped folders (Chromium, Firefox, Safari all offer webkitGetAsEntry).
  function walk(entry, out) {
    return new Promise(function (resolve) {
      if (entry.isFile) { entry.file(function (f) { out.push(f); resolve(); }, function () { resolve(); }); return; }
      var reader = entry.createReader();
      var read = function () {
        reader.readEntries(function (entries) {
          if (!entries.length) { resolve(); return; }
          Promise.all(entries.map(function (e) { return walk(e, out); })).then(read);
        }, function () { resolve(); });
      };
      read();
    });
  }

  ["dragenter", "dragover"].forEach(function (t) { zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("over"); }); });
  ["dragleave", "drop"].forEach(function (t) { zone.addEventListener(t, function () { zone.classList.remove("over"); }); });
  zone.addEventListener("drop", function (e) {
    e.preventDefault();
    var items = e.dataTransfer.items;
    if (items && items.length && items[0].webkitGetAsEntry) {
      var entries = Array.prototype.map.call(items, function (i) { return i.webkitGetAsEntry(); }).filter(Boolean);
      var files = [];
      Promise.all(entries.map(function (en) { return walk(en, files); })).then(function () { add(files); });
    } else {
      add(e.dataTransfer.files);
    }
  });
  fileInput.addEventListener("change", function () { add(fileInput.files); fileInput.value = ""; });
  folderInput.addEventListener("change", function () { add(folderInput.files); folderInput.value = ""; });
  form.addEventListener("submit", function (e) { e.preventDefault(); add(fileInput.files); });
  document.getElementById("upload-button").hidden = true;
})();
