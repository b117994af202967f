// 能源与碳排放盘查: "添加一行" and the table unit shown next to each carrier.  The form
// works without this file (it renders ~10 empty rows).
"use strict";
(function () {
  const body = document.getElementById("records-body");
  const add = document.getElementById("add-row");
  if (!body || !add) return;
  const MAX = 100;

  function showUnit(select) {
    const row = select.closest("tr");
    const cell = row && row.querySelector('[data-role="table-unit"]');
    const option = select.options[select.selectedIndex];
    if (cell) cell.textContent = option && option.dataset.unit ? option.dataset.unit : "";
  }

  function renumber() {
    let n = 0;
    body.querySelectorAll("tr").forEach((tr) => {
      const idx = tr.querySelector("td.idx");
      if (idx) idx.textContent = String(++n);
    });
  }

  body.addEventListener("change", (event) => {
    const target = event.target;
    if (target instanceof HTMLSelectElement && target.dataset.role === "carrier") showUnit(target);
  });

  add.hidden = false;
  add.addEventListener("click", () => {
    const rows = body.querySelectorAll("select[data-role='carrier']");
    if (rows.length >= MAX) {
      add.disabled = true;
      return;
    }
    const template = body.querySelector("tr[data-blank]") || rows[rows.length - 1].closest("tr");
    const copy = template.cloneNode(true);
    copy.classList.remove("has-error");
    copy.querySelectorAll("input").forEach((input) => { input.value = ""; });
    copy.querySelectorAll("select").forEach((select) => { select.selectedIndex = 0; });
    const unit = copy.querySelector('[data-role="table-unit"]');
    if (unit) unit.textContent = "";
    body.appendChild(copy);
    renumber();
    const first = copy.querySelector("select");
    if (first) first.focus();
  });
})();
