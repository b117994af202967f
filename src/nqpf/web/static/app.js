// nqpf platform: the light JS layer. Pages work without it; it adds CSRF headers to
// fetch calls and autosaves questionnaire drafts (see assess.js).
"use strict";
window.nqpf = {
  csrf() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  },
  async send(method, url, body) {
    const response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": window.nqpf.csrf() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try { data = await response.json(); } catch (_) { /* empty body */ }
    return { ok: response.ok, status: response.status, data };
  },
};
