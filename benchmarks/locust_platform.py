"""Locust user of the platform load benchmark (driven by ``bench_web.py``).

Each simulated user is one enterprise's member with a browser session (cookie + CSRF
token, as the pages' JavaScript sends them); ``bench_web.py`` made the sessions.  One round:

1. ``POST /api/v1/enterprises/{id}/assessments`` — start a draft (T0, T1, …);
2. ``PATCH /api/v1/assessments/{id}`` — autosave the answers in two sittings;
3. ``POST /api/v1/assessments/{id}/submit`` — **submit-and-score** (timed on its own);
4. ``GET /assessments/{id}/result`` — **the result page** (HTML with the radar SVG).

Accounts come from the file named by ``NQPF_BENCH_ACCOUNTS`` (JSON: [{email, password,
enterprise_id}]); every user takes the next one.  ``NQPF_BENCH_WAIT`` sets the think
time between requests in seconds (``"1,3"`` = uniformly 1–3 s; ``"0"`` = none).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import threading
from pathlib import Path

from locust import FastHttpUser, between, constant, task

from nqpf.assessment import load_framework

_ACCOUNTS = json.loads(Path(os.environ["NQPF_BENCH_ACCOUNTS"]).read_text(encoding="utf-8"))
_NEXT = itertools.count()
_LOCK = threading.Lock()
_FW = load_framework("sme-digital-2024")
_wait = [float(x) for x in os.environ.get("NQPF_BENCH_WAIT", "1,3").split(",")]


def _answers(rng: random.Random) -> dict:
    out: dict = {}
    for q in _FW.questions:
        if q.kind == "number":
            low = q.min_value if q.min_value is not None else 0
            high = q.max_value if q.max_value is not None else 100
            out[q.id] = round(rng.uniform(low, high), 1)
        elif q.kind == "single":
            out[q.id] = rng.choice(q.options).id
        else:
            opts = [o.id for o in q.options if not o.exclusive]
            out[q.id] = sorted(rng.sample(opts, rng.randint(1, len(opts))))
    for scene in _FW.scenes:
        out[scene.id] = rng.randint(1, 4)
    return out


class EnterpriseUser(FastHttpUser):
    wait_time = between(*_wait) if len(_wait) == 2 else constant(_wait[0])

    def on_start(self) -> None:
        with _LOCK:
            account = _ACCOUNTS[next(_NEXT) % len(_ACCOUNTS)]
        self.enterprise_id = account["enterprise_id"]
        self.rng = random.Random(account["email"])
        # the bench made a signed-in session for this account (sign-in is not measured)
        self.headers = {
            "Cookie": f"nqpf_session={account['cookie']}",
            "X-CSRF-Token": account["csrf"],
        }

    @task
    def assess(self) -> None:
        r = self.client.post(
            f"/api/v1/enterprises/{self.enterprise_id}/assessments",
            json={"framework": "sme-digital-2024"},
            name="start draft",
            headers=self.headers,
        )
        if r.status_code not in (200, 201):
            return
        draft = r.json()
        assessment_id, revision = draft["id"], draft["revision"]
        answers = _answers(self.rng)
        items = list(answers.items())
        half = len(items) // 2
        for part in (dict(items[:half]), dict(items[half:])):  # two sittings of autosave
            r = self.client.patch(
                f"/api/v1/assessments/{assessment_id}",
                json={"revision": revision, "answers": part},
                name="autosave",
                headers=self.headers,
            )
            if r.status_code != 200:
                return
            revision = r.json()["revision"]
        self.client.post(
            f"/api/v1/assessments/{assessment_id}/submit",
            name="submit-and-score",
            headers=self.headers,
        )
        self.client.get(
            f"/assessments/{assessment_id}/result", name="result page", headers=self.headers
        )
