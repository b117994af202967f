// Questionnaire autosave: answers are PATCHed (debounced) to /api/v1/assessments/{id}
// with the revision last seen; the page works without this file as a normal form.
"use strict";
(function () {
  const form = document.getElementById("questionnaire");
  if (!form || !window.nqpf) return;
  const id = form.dataset.assessment;
  const total = Number(form.dataset.total || 0);
  const prefix = "a.";
  const NONE = "__none__";
  const revisionInput = document.getElementById("revision");
  const state = document.getElementById("savestate");
  const bar = document.getElementById("progress-bar");
  const answeredEl = document.getElementById("progress-answered");
  const pending = new Set();
  let timer = null;
  let saving = false;
  let retry = false;

  function show(text, cls) {
    if (!state) return;
    state.textContent = text;
    state.className = "savestate " + (cls || "");
  }

  function fieldError(key, message) {
    const holder = form.querySelector('[data-error-for="' + CSS.escape(key) + '"]');
    if (holder) holder.textContent = message || "";
  }

  function valueOf(key) {
    const inputs = form.querySelectorAll('[name="' + CSS.escape(prefix + key) + '"]');
    if (!inputs.length) return null;
    const first = inputs[0];
    if (first.type === "checkbox") {
      const checked = Array.from(inputs).filter((i) => i.checked).map((i) => i.value);
      if (!checked.length) return null;
      if (checked.length === 1 && checked[0] === NONE) return [];
      return checked.filter((v) => v !== NONE);
    }
    if (first.type === "radio") {
      const checked = Array.from(inputs).find((i) => i.checked);
      if (!checked) return null;
      const kind = first.closest("[data-kind]");
      return kind && kind.dataset.kind === "scene" ? Number(checked.value) : checked.value;
    }
    const raw = first.value.trim();
    if (raw === "") return null;
    const n = Number(raw);
    return Number.isFinite(n) ? n : raw;
  }

  function exclusive(input) {
    if (input.type !== "checkbox" || !input.checked) return;
    const group = form.querySelectorAll('[name="' + CSS.escape(input.name) + '"]');
    group.forEach((other) => {
      if (other === input) return;
      if (input.dataset.exclusive || other.dataset.exclusive) other.checked = false;
    });
  }

  async function flush() {
    timer = null;
    if (saving) { timer = setTimeout(flush, 300); return; }
    if (!pending.size) return;
    saving = true;
    const keys = Array.from(pending);
    pending.clear();
    const answers = {};
    keys.forEach((k) => { answers[k] = valueOf(k); });
    show("保存中…");
    try {
      const res = await window.nqpf.send("PATCH", "/api/v1/assessments/" + id, {
        revision: Number(revisionInput.value), answers,
      });
      if (res.ok && res.data) {
        revisionInput.value = res.data.revision;
        keys.forEach((k) => fieldError(k, ""));
        const p = res.data.progress;
        if (bar) bar.style.width = p.percent + "%";
        if (answeredEl) answeredEl.textContent = p.answered_questions + p.answered_scenes;
        show("已保存", "saved");
      } else {
        const detail = res.data && typeof res.data.detail === "string" ? res.data.detail : "请检查输入";
        if (res.data && res.data.field) fieldError(res.data.field, detail);
        if (res.status === 409) {
          show("保存失败：草稿已在其他窗口修改，请刷新页面", "failed");
        } else {
          // the other answers of the batch were not saved either: keep them for the next try
          keys.forEach((k) => { if (!res.data || k !== res.data.field) pending.add(k); });
          retry = res.status === 422;
          show("保存失败：" + detail, "failed");
        }
      }
    } catch (_) {
      keys.forEach((k) => pending.add(k));
      show("保存失败：网络错误，稍后重试", "failed");
    } finally {
      saving = false;
      if (retry && pending.size && !timer) timer = setTimeout(flush, 600);
      retry = false;
    }
  }

  function schedule(input) {
    if (!input.name || !input.name.startsWith(prefix)) return;
    exclusive(input);
    pending.add(input.name.slice(prefix.length));
    if (timer) clearTimeout(timer);
    timer = setTimeout(flush, 600);
  }

  form.addEventListener("change", (e) => schedule(e.target));
  form.addEventListener("input", (e) => { if (e.target.type === "number") schedule(e.target); });
  // the revision field follows autosaves, so a normal form post after them does not conflict
  form.addEventListener("submit", () => { if (timer) clearTimeout(timer); });
  void total;
})();
