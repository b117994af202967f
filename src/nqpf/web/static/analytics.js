// Regional analytics and background jobs: poll the job's JSON while it runs, update the
// progress bar and stage, and reload the page when it has finished.  Without JS the page
// refreshes itself (a <noscript> meta refresh).
"use strict";
(function () {
  const box = document.querySelector(".job-status");
  if (!box || box.dataset.state === "done" || box.dataset.state === "failed") return;
  const id = box.dataset.jobId;
  const bar = document.getElementById("job-progress");
  const percent = document.getElementById("job-percent");
  const stage = document.getElementById("job-stage");
  const state = document.getElementById("job-state");
  async function poll() {
    const r = await window.nqpf.send("GET", `/api/v1/jobs/${id}`);
    if (r.ok && r.data) {
      bar.value = r.data.progress;
      percent.textContent = `${Math.round(r.data.progress * 100)}%`;
      stage.textContent = r.data.stage;
      state.textContent = r.data.state_label;
      if (r.data.state === "done" || r.data.state === "failed") {
        window.location.reload();
        return;
      }
    }
    window.setTimeout(poll, 1000);
  }
  window.setTimeout(poll, 500);
})();
