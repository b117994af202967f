// the loop's light JS: "add row" buttons copy the last row of a table (inputs emptied).
// The pages work without it: they carry a few blank rows.
"use strict";
document.addEventListener("click", (event) => {
  const button = event.target.closest("button.add-row");
  if (!button) return;
  const body = document.getElementById(button.dataset.target);
  if (!body) return;
  const rows = body.querySelectorAll("tr");
  const last = Array.from(rows).reverse().find((r) => r.querySelector("input"));
  if (!last) return;
  const copy = last.cloneNode(true);
  copy.classList.remove("late");
  copy.querySelectorAll("input").forEach((input) => { input.value = ""; });
  body.appendChild(copy);
  const first = copy.querySelector("input");
  if (first) first.focus();
});
