// The TV's start page: pair this screen, then hand over to the slideshow.
//
// It asks for a pairing code, shows it (with a QR code of the approval page)
// and polls until someone approves it on their phone; then it keeps the device
// token in localStorage (this browser only) and opens the slideshow. An expired
// code is replaced by a new one; a failed request is retried with a growing delay.
(() => {
  "use strict";
  const TOKEN_KEY = "sequenzia.ads.token";
  const root = document.getElementById("pairing");
  if (!root) return;
  if (localStorage.getItem(TOKEN_KEY)) {
    location.replace(root.dataset.screen);
    return;
  }
  const $ = (id) => document.getElementById(id);
  let secret = "", pollTimer = 0, failures = 0, expiresAt = 0;

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "X-CSRFToken": root.dataset.csrf, Accept: "application/json" },
      body: new URLSearchParams(body || {}),
      credentials: "same-origin",
      cache: "no-store",
    });
    const data = await response.json().catch(() => ({}));
    return { status: response.status, data };
  }

  function retry(fn) {
    failures += 1;
    $("pair-state").textContent = "Cannot reach the server; trying again…";
    setTimeout(fn, Math.min(30000, 1000 * 2 ** Math.min(failures, 5)));
  }

  async function begin() {
    clearTimeout(pollTimer);
    try {
      const { status, data } = await post(root.dataset.start);
      if (status !== 201) {
        $("pair-state").textContent = data.detail || "Cannot pair right now.";
        return retry(begin);
      }
      failures = 0;
      secret = data.secret;
      expiresAt = Date.now() + data.expires_in * 1000;
      $("pair-code").textContent = data.code;
      $("pair-url").textContent = data.approve_url;
      $("pair-qr").src = data.qr;
      $("pair-qr").hidden = false;
      $("pair-state").textContent = "Waiting for approval…";
      pollTimer = setTimeout(poll, 2000);
    } catch (e) {
      retry(begin);
    }
  }

  async function poll() {
    if (Date.now() > expiresAt) return begin();
    try {
      const { data } = await post(root.dataset.poll, { secret });
      failures = 0;
      if (data.status === "approved" && data.token) {
        localStorage.setItem(TOKEN_KEY, data.token);
        $("pair-state").textContent = "Paired. Starting…";
        location.replace(data.screen || root.dataset.screen);
        return;
      }
      if (data.status !== "pending") return begin();
      pollTimer = setTimeout(poll, 2000);
    } catch (e) {
      retry(poll);
    }
  }

  begin();
})();
