// The phone remote: buttons send commands (fetch, so the page stays), and the
// socket shows what the screen is showing right now. Without JavaScript the
// buttons are plain forms and still work.
(() => {
  "use strict";
  const root = document.getElementById("remote");
  if (!root) return;
  const displayId = Number(root.dataset.display);
  const state = document.getElementById("now-state");
  const thumb = document.getElementById("now-thumb");
  const name = document.getElementById("now-name");
  const toggle = root.querySelector("[data-toggle]");
  let paused = false, failures = 0;

  root.addEventListener("submit", async (event) => {
    const form = event.target;
    event.preventDefault();
    const body = new FormData(form);
    const button = event.submitter;
    if (button && button.name) body.set(button.name, button.value);
    try {
      const response = await fetch(root.dataset.command, {
        method: "POST", body, credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      const data = await response.json().catch(() => ({}));
      state.textContent = response.ok ? "Sent: " + data.sent : (data.detail || "Could not send");
    } catch (e) {
      state.textContent = "Offline: command not sent";
    }
  });

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws/ads/");
    socket.onopen = () => socket.send(JSON.stringify({ type: "hello", role: "remote", display: displayId }));
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "ready") { failures = 0; state.textContent = "Connected"; }
      if (message.type === "status") {
        name.textContent = message.file.name;
        thumb.src = message.file.thumbnail;
        thumb.hidden = false;
        paused = message.paused;
        toggle.value = paused ? "play" : "pause";
        toggle.textContent = paused ? "▶ Play" : "❚❚ Pause";
        state.textContent = paused ? "Paused" : "Showing";
        root.dataset.showing = String(message.file.id);
      }
    };
    socket.onclose = () => {
      failures += 1;
      state.textContent = "Reconnecting…";
      setTimeout(connect, Math.min(30000, 1000 * 2 ** Math.min(failures, 5)));
    };
  }
  connect();
})();
