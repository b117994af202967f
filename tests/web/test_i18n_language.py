"""The English interface (issue 17 item 5): a language switch kept for the session, one
message catalogue, Chinese by default."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from nqpf.web import i18n_catalogue
from nqpf.web.i18n_catalogue import COOKIE, catalogue

TEMPLATES = Path(i18n_catalogue.__file__).with_name("templates")
CALL = re.compile(r"""\b_\("([^"]+)"\)""")
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def db_url(migrated_url: str) -> str:
    """SQLite only: the language does not depend on the database."""
    return migrated_url


def test_catalogue_has_every_text_the_templates_translate_and_nothing_else():
    used = {m for f in TEMPLATES.rglob("*.html") for m in CALL.findall(f.read_text("utf-8"))}
    entries = set(catalogue("en"))
    assert used, "no template text goes through _()"
    assert sorted(used - entries) == []  # a text without an English entry
    assert sorted(entries - used) == []  # an entry no template uses
    raw = yaml.safe_load(TEMPLATES.with_name("messages").joinpath("en.yaml").read_text("utf-8"))
    assert all(isinstance(v, str) and not HAN.search(v) for v in raw.values())


def test_chinese_by_default_english_when_chosen_and_kept(app, world, login):
    c = login(world.emails["ent_admin"])
    page = c.get("/dashboard")
    assert '<html lang="zh-CN">' in page.text and ">监测</a>" in page.text
    r = c.get("/language", params={"lang": "en", "next": "/dashboard"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/dashboard"
    assert COOKIE in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]
    page = c.get("/enterprises")  # kept for the session's next pages
    assert '<html lang="en">' in page.text
    assert ">Dashboard</a>" in page.text and ">Enterprises</a>" in page.text
    assert ">监测</a>" not in page.text
    missing = c.get("/enterprises/999999")  # error pages speak it too
    assert missing.status_code == 404 and "Not found" in missing.text
    c.get("/language", params={"lang": "zh", "next": "/"})
    assert ">监测</a>" in c.get("/dashboard").text


def test_switch_refuses_unknown_languages_and_foreign_redirects(client):
    r = client.get("/language", params={"lang": "fr"})
    assert r.status_code == 422 and "语言应为以下之一" in r.text
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        r = client.get("/language", params={"lang": "en", "next": target}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/", target
