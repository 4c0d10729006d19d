// The slideshow (ADS). Runs for days on a TV browser, driven by a remote control.
//
// Two layers take turns: the next image is asked for and decoded in the hidden
// layer while the other shows, and the layers swap only once it is decoded.
// Nothing grows over time: two <img> elements, a short history of small
// objects, one clock timer, one advance timer, one socket.
//
// It recovers by itself: a failed request keeps the current picture and is
// retried with a growing delay; the socket reconnects the same way.
(() => {
  "use strict";
  const root = document.getElementById("ads");
  if (!root) return;
  const TOKEN_KEY = "sequenzia.ads.token";
  const displayId = root.dataset.display || "";
  const token = displayId ? null : localStorage.getItem(TOKEN_KEY);
  if (!displayId && !token) {
    location.replace(root.dataset.home || "/ads/");
    return;
  }

  const layers = [document.getElementById("layer-a"), document.getElementById("layer-b")];
  const $ = (id) => document.getElementById(id);
  const clock = $("clock"), caption = $("caption"), qr = $("qr"), info = $("info");
  const dim = $("dim"), statusBox = $("status");
  const HISTORY_MAX = 50;
  const API = root.dataset.api || "/ads/api/";

  let settings = null;      // the profile's settings
  let follows = null;       // id of the display this one mirrors
  let front = 0;            // index of the layer on screen
  let shownItem = null;     // what is on screen
  let history = [];         // items shown, oldest first
  let position = -1;        // where in history the screen is
  let paused = false;
  let advanceTimer = 0;
  let busy = false;         // a swap is in progress
  let failures = 0;
  let socket = null, socketFailures = 0, socketTimer = 0;
  let statusTimer = 0;

  // --- requests ----------------------------------------------------------------------

  function screenSize() {
    const ratio = window.devicePixelRatio || 1;
    return [Math.round(window.innerWidth * ratio), Math.round(window.innerHeight * ratio)];
  }

  function localMinutes() {
    const now = new Date();
    return now.getHours() * 60 + now.getMinutes();
  }

  function query(extra) {
    const [w, h] = screenSize();
    const params = new URLSearchParams({ w: String(w), h: String(h), minutes: String(localMinutes()) });
    if (displayId) params.set("display", displayId);
    for (const key in extra || {}) params.set(key, extra[key]);
    return params;
  }

  class Unpaired extends Error {}

  async function api(path, method, extra) {
    const headers = { Accept: "application/json" };
    if (token) headers.Authorization = "Bearer " + token;
    else if (method === "POST") headers["X-CSRFToken"] = root.dataset.csrf;
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(), 20000);
    try {
      const params = query(extra);
      const url = method === "POST" ? path : path + "?" + params;
      const response = await fetch(url, {
        method: method || "GET",
        headers,
        body: method === "POST" ? params : undefined,
        credentials: "same-origin",
        cache: "no-store",
        signal: controller.signal,
      });
      if (response.status === 401) throw new Unpaired("not paired");
      if (!response.ok) throw new Error("HTTP " + response.status);
      return await response.json();
    } finally {
      clearTimeout(timeout);
    }
  }

  function unpaired() {
    // The token was revoked (or the session ended): back to pairing.
    if (token) localStorage.removeItem(TOKEN_KEY);
    location.replace(root.dataset.home || "/ads/");
  }

  function note(text, sticky) {
    statusBox.textContent = text;
    statusBox.classList.toggle("shown", Boolean(text));
    clearTimeout(statusTimer);
    if (text && !sticky) statusTimer = setTimeout(() => note(""), 2500);
  }

  // --- showing -----------------------------------------------------------------------

  async function decodeInto(layer, item) {
    const img = layer.querySelector("img");
    img.className = item.fit === "cover" ? "cover" : "";
    img.style.backgroundColor = item.color || "";
    img.alt = item.name;
    img.src = item.image;
    if (img.decode) await img.decode();
    else await new Promise((ok, fail) => { img.onload = ok; img.onerror = fail; });
  }

  async function present(item, remember) {
    if (busy) return false;
    busy = true;
    try {
      const back = layers[1 - front];
      await decodeInto(back, item);  // shown only once decoded
      back.classList.add("front");
      layers[front].classList.remove("front");
      front = 1 - front;
      shownItem = item;
      root.dataset.showing = String(item.id);  // for people debugging, and for tests
      if (remember) {
        history = history.slice(0, position + 1);
        history.push(item);
        if (history.length > HISTORY_MAX) history = history.slice(history.length - HISTORY_MAX);
        position = history.length - 1;
      }
      overlays();
      report();
      preloadSoon();
      return true;
    } finally {
      busy = false;
    }
  }

  function overlays() {
    if (!settings || !shownItem) return;
    caption.hidden = !settings.show_caption;
    caption.querySelector(".name").textContent = shownItem.name;
    caption.querySelector(".folder").textContent = shownItem.folder;
    qr.hidden = !(settings.show_qr && shownItem.qr);
    if (!qr.hidden) qr.src = shownItem.qr;
    info.querySelector(".name").textContent = shownItem.name;
    info.querySelector(".meta").textContent =
      [shownItem.folder, shownItem.created, shownItem.width + " × " + shownItem.height].join(" · ");
    info.querySelector(".page").textContent = shownItem.page;
    const big = info.querySelector(".qr-large");
    big.hidden = !shownItem.qr;
    if (shownItem.qr) big.src = shownItem.qr;
  }

  function tick() {
    if (!settings) return;
    const now = new Date();
    clock.hidden = !(settings.show_clock || settings.show_date);
    clock.querySelector(".time").textContent = settings.show_clock
      ? now.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "";
    clock.querySelector(".date").textContent = settings.show_date
      ? now.toLocaleDateString([], { weekday: "long", day: "numeric", month: "long" }) : "";
    const night = isNight(localMinutes());
    dim.style.opacity = settings.night_mode === "dim" && night ? String(settings.dim_percent / 100) : "0";
  }

  function minutesOf(text) {
    const [h, m] = text.split(":").map(Number);
    return h * 60 + m;
  }

  function isNight(minutes) {
    if (!settings || settings.night_mode === "off") return false;
    const start = minutesOf(settings.night_start), end = minutesOf(settings.night_end);
    if (start === end) return false;
    return start < end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
  }

  // --- moving on ---------------------------------------------------------------------
  //
  // Soon after an image goes up (once a crossfade has finished), the next one is
  // asked for and decoded off screen (`ready`); when the interval is over it
  // goes up at once. A mirrored screen takes its images from the other screen's
  // socket messages, and asks the server itself only while its socket is down.

  let ready = null;       // {item, image}: decoded off screen, waiting for its turn
  let preloading = null;  // the preload under way
  let preloadTimer = 0;
  let socketReady = false;

  function schedule(delay) {
    clearTimeout(advanceTimer);
    if (paused) return;
    advanceTimer = setTimeout(advance, delay);
  }

  function fading() {
    return settings && settings.transition === "crossfade" ? 1300 : 0;
  }

  function preloadSoon() {
    clearTimeout(preloadTimer);
    preloadTimer = setTimeout(() => preload().catch((problem) => {
      if (problem instanceof Unpaired) unpaired();  // else the next advance retries
    }), fading());
  }

  function preload() {
    if (ready || (follows && socketReady)) return Promise.resolve();
    if (!preloading) {
      const extra = shownItem ? { showing: String(shownItem.id) } : {};
      preloading = (async () => {
        try {
          const answer = await api(API + "next", "POST", extra);
          if (!answer.item) {
            note(answer.detail || "Nothing to show", true);
            return;
          }
          if (answer.mirror && shownItem && answer.item.id === shownItem.id) return;
          const image = new Image();
          image.src = answer.item.image;
          if (image.decode) await image.decode();
          ready = { item: answer.item, image };
          root.dataset.ready = String(answer.item.id);  // decoded, waiting for its turn
        } finally {
          preloading = null;
        }
      })();
    }
    return preloading;
  }

  async function advance() {
    if (paused) return;
    try {
      if (position < history.length - 1) {
        await goTo(position + 1);  // after going back, forward walks the history first
      } else if (!(follows && socketReady)) {
        if (!ready) await preload();
        if (ready) {
          const next = ready;
          if (await present(next.item, true)) {
            // Shown: only now is it used up (while another change is on screen
            // present() refuses, and the server already moved past this one).
            if (ready === next) {
              ready = null;
              delete root.dataset.ready;
            }
            note("");
          }
        }
      }
      failures = 0;
      schedule(settings.interval_ms);
    } catch (problem) {
      if (problem instanceof Unpaired) return unpaired();
      ready = null;
      failures += 1;
      note("Offline — retrying", true);
      schedule(Math.min(60000, 1000 * 2 ** Math.min(failures, 6)));
    }
  }

  async function goTo(index) {
    const wanted = history[index];
    if (!wanted) return;
    // Ask again: the screen may have changed size, and image links expire.
    const answer = await api(API + "item/" + wanted.id, "GET");
    if (await present(answer.item, false)) position = index;
  }

  async function back() {
    if (position <= 0) return note("No earlier image");
    try {
      await goTo(position - 1);
      schedule(settings.interval_ms);
    } catch (problem) {
      if (problem instanceof Unpaired) return unpaired();
      note("Offline");
    }
  }

  function forward() {
    clearTimeout(advanceTimer);
    const wasPaused = paused;
    paused = false;
    advance().then(() => { if (wasPaused) setPaused(true); });
  }

  function setPaused(value) {
    paused = value;
    root.dataset.paused = String(paused);
    note(paused ? "Paused" : "Playing", paused);
    if (paused) clearTimeout(advanceTimer);
    else schedule(settings.interval_ms);
    report();
  }

  function toggleInfo(show) {
    info.hidden = show === undefined ? !info.hidden : !show;
    root.dataset.info = String(!info.hidden);
  }

  async function showItem(item) {
    if (await present(item, true)) schedule(settings.interval_ms);
  }

  // --- keys (TV remotes send arrows, Enter and a Back key) ---------------------------

  const BACK_CODES = [8, 27, 461, 10009];  // Backspace, Escape, webOS Back, Tizen Back
  document.addEventListener("keydown", (event) => {
    const key = event.key;
    let handled = true;
    if (key === "ArrowRight" || key === "MediaTrackNext" || key === "PageDown") forward();
    else if (key === "ArrowLeft" || key === "MediaTrackPrevious" || key === "PageUp") back();
    else if (key === "Enter" || key === " " || key === "MediaPlayPause") setPaused(!paused);
    else if (key === "MediaPause") setPaused(true);
    else if (key === "MediaPlay") setPaused(false);
    else if (key === "ArrowUp" || key === "ArrowDown" || key === "Info" || key === "i") toggleInfo();
    else if (key === "GoBack" || BACK_CODES.includes(event.keyCode)) toggleInfo(false);
    else handled = false;
    if (handled) event.preventDefault();
  });

  // --- the socket: remote commands and mirrored displays -----------------------------

  function report() {
    if (socket && socket.readyState === WebSocket.OPEN && shownItem) {
      socket.send(JSON.stringify({ type: "showing", file: shownItem.id, paused }));
    }
  }

  function connect(path) {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + path);
    socket.onopen = () => {
      const hello = { type: "hello", role: "screen" };
      if (token) hello.token = token; else hello.display = Number(displayId);
      socket.send(JSON.stringify(hello));
    };
    socket.onmessage = (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message.type === "ready") { socketFailures = 0; socketReady = true; report(); }
      else if (message.type === "command") command(message);
      else if (message.type === "mirror" && message.item) showItem(message.item);
    };
    socket.onclose = (event) => {
      socket = null;
      socketReady = false;
      if (event.code === 4401 || event.code === 4403) return;  // not allowed: HTTP will tell
      socketFailures += 1;
      clearTimeout(socketTimer);
      socketTimer = setTimeout(() => connect(path), Math.min(60000, 1000 * 2 ** Math.min(socketFailures, 6)));
    };
  }

  function command(message) {
    switch (message.action) {
      case "next": forward(); break;
      case "prev": back(); break;
      case "pause": setPaused(true); break;
      case "play": setPaused(false); break;
      case "info": toggleInfo(); break;
      case "show": if (message.item) showItem(message.item); break;
    }
  }

  // --- start -------------------------------------------------------------------------

  async function start() {
    let state;
    try {
      state = await api(API + "display", "GET");
    } catch (problem) {
      if (problem instanceof Unpaired) return unpaired();
      failures += 1;
      note("Connecting…", true);
      setTimeout(start, Math.min(30000, 1000 * 2 ** Math.min(failures, 5)));
      return;
    }
    failures = 0;
    note("");
    settings = state.profile;
    follows = state.follows;
    root.classList.toggle("crossfade", settings.transition === "crossfade");
    root.dataset.profile = settings.name;
    tick();
    setInterval(tick, 15000);
    connect(state.socket);
    if (state.current) {
      try { await present(state.current, true); } catch (e) { /* advance() below retries */ }
      schedule(settings.interval_ms);
    } else {
      advance();
    }
    root.focus();
  }

  start();
})();
