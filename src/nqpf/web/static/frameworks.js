// Rule-framework forms: derived rates shown as they are typed (the server derives the same
// on save and scoring), "不涉及" buttons, and filling a whole CMMM level at once.  The
// autosave of assess.js sees every change these make (change events bubble to the form).
"use strict";
(function () {
  const form = document.getElementById("questionnaire");
  if (!form) return;

  function byName(name) { return form.querySelector('[name="' + CSS.escape(name) + '"]'); }

  function fire(input) { input.dispatchEvent(new Event("change", { bubbles: true })); }

  const targets = Array.from(form.querySelectorAll("[data-part][data-whole]"));
  function derive(target) {
    const part = byName(target.dataset.part), whole = byName(target.dataset.whole);
    if (!part || !whole) return;
    const p = Number(part.value), w = Number(whole.value);
    const note = form.querySelector('[data-derived-for="' + CSS.escape(target.name.slice(2)) + '"]');
    const known = part.value.trim() !== "" && whole.value.trim() !== "" && w > 0 && p >= 0;
    if (known) {
      target.value = String(Math.round(p / w * Number(target.dataset.scale) * 1e6) / 1e6);
      target.readOnly = true;
    } else if (target.readOnly) {
      target.value = "";
      target.readOnly = false;
    }
    if (note) note.hidden = !known;
  }
  targets.forEach((t) => {
    [t.dataset.part, t.dataset.whole].forEach((n) => {
      const input = byName(n);
      if (input) input.addEventListener("input", () => derive(t));
    });
  });

  form.querySelectorAll("[data-na-for]").forEach((button) => {
    button.addEventListener("click", () => {
      const input = byName(button.dataset.naFor);
      if (!input) return;
      input.value = button.dataset.na;
      fire(input);
    });
  });

  form.querySelectorAll("[data-fill-button]").forEach((button) => {
    button.addEventListener("click", () => {
      const level = button.dataset.fillButton;
      const choice = form.querySelector('[data-fill-level="' + level + '"]').value;
      form.querySelectorAll('[data-level="' + level + '"] input[type=radio]').forEach((radio) => {
        if (radio.value === choice && !radio.checked) {
          radio.checked = true;
          fire(radio);
        }
      });
    });
  });
})();
