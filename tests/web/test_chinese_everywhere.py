"""Chinese everywhere a user reads (issue 17 item 5): the demo's pages, PDFs and XLSX files
carry no untranslated identifiers.

One demo world (12 enterprises) is signed into with every demo account; from the home
page each account follows its own links (its navigation, then one page of each kind: one
enterprise, one assessment, one inventory …), and the downloads it reaches are read: the
PDFs through their text layer (``pdftotext``), the XLSX files' sheet names, headers and
text cells.  Text a reader sees is searched for snake_case identifiers (``funding_rate``),
English enum values (``secondary``, ``draft`` …) and known English messages.  What is not
prose is left out on purpose: ``<code>`` (the audit log's raw before/after), form values
(the user's own input), ``placeholder`` examples of an input syntax that uses fact codes,
the code lists of an upload template (only its sheet names and headers are read), e-mail
addresses and the file names of the factor tables.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

SNAKE = re.compile(r"(?<![\w./#-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w./-])")
ENUM_WORDS = re.compile(
    r"\b(secondary|unverified|official|provisional|national|provincial|draft|submitted|"
    r"queued|running|failed|published|withdrawn|enterprise|provider|authority|member)\b"
)
MESSAGES = re.compile(
    r"Input should|Field required|missing answer|not a valid|Traceback|"
    r"\bNone\b|\bnan\b|\bNaN\b|\bTrue\b|\bFalse\b",
)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Identifiers a reader is meant to see: column names of the analysis upload format (the
# analyst's file must use them) and the names of the factor tables' files.
ALLOWED = {"province_code", "city_code", "unit_id"}

# The solution form's hint shows the prerequisite grammar, whose facts are codes (the form
# lists each code with its Chinese name): its example may name two of them.
ALLOWED_ON = {
    "/solutions/new": {"equipment_network_rate", "has_erp"},
    "/solutions/N/edit": {"equipment_network_rate", "has_erp"},
}

#: Most pages opened per account (its navigation and one page of each kind).
MAX_PAGES = 40


class _Reader(HTMLParser):
    """The text of a page as a reader sees it, and its links."""

    SKIP = frozenset({"script", "style", "code", "pre", "textarea", "select"})

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in self.SKIP:
            self._skip += 1
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if not self._skip:
            self.text += [a[k] for k in ("title", "aria-label", "alt") if a.get(k)]

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def _leaks(text: str) -> dict[str, str]:
    """Each leak found in ``text`` → the text around its first occurrence."""
    found: dict[str, str] = {}
    text = EMAIL.sub("", text)  # an address is what it is (ent1.member@…)
    for pattern in (SNAKE, ENUM_WORDS, MESSAGES):
        for m in pattern.finditer(text):
            if m.group(0) not in ALLOWED:
                around = text[max(0, m.start() - 30) : m.end() + 30]
                found.setdefault(m.group(0), " ".join(around.split()))
    return found


def _kind(path: str) -> str:
    """``/enterprises/3/carbon`` → ``/enterprises/N/carbon``: one page per kind."""
    return re.sub(r"\d+", "N", path.split("?")[0].split("#")[0])


def _pdf_text(data: bytes, tmp: Path) -> str:
    path = tmp / "report.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def _xlsx_text(data: bytes, *, template: bool = False) -> str:
    """Sheet names and text cells of visible sheets; of an upload template only the sheet
    names and headers (its other sheets list the codes its cells accept)."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    parts = []
    for sheet in book:
        if sheet.sheet_state != "visible":
            continue  # the template's hidden lists of codes
        parts.append(sheet.title)
        for row in sheet.iter_rows(max_row=1 if template else 60, values_only=True):
            parts += [v for v in row if isinstance(v, str)]
    return "\n".join(parts)


@pytest.fixture(scope="module")
def demo(tmp_path_factory, sqlite_template):
    """The demo park (12 enterprises) in a SQLite copy, its accounts and its app."""
    from tests.web.security.totp_support import enrol_required

    from nqpf.web.config import Settings
    from nqpf.web.demo import seed_demo
    from nqpf.web.main import create_app

    folder = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{(folder / 'demo.db').as_posix()}"
    shutil.copyfile(sqlite_template, make_url(url).database)
    app = create_app(Settings(database_url=url, env="test", secret_key="t" * 32))
    with app.state.session_factory() as session:
        key = app.state.settings.secret_key
        accounts = seed_demo(session, secret_key=key, seed=7, n_enterprises=12)
        enrol_required(session, app.state.settings)
    app.state.demo = True
    yield app, accounts
    app.state.engine.dispose()


def _crawl(app, account, downloads_seen: set[str], tmp: Path) -> dict[str, set[str]]:
    """Leaks found by one account: identifier → the page kinds where it was read."""
    from fastapi.testclient import TestClient
    from tests.web.browser_session import sign_in

    leaks: dict[str, set[str]] = defaultdict(set)
    with TestClient(app) as client:
        sign_in(client, account.email, account.password)
        queue, kinds = ["/"], set()
        while queue and len(kinds) < MAX_PAGES:
            path = queue.pop(0)
            kind = _kind(path)
            is_download = kind.endswith((".pdf", ".xlsx"))
            if kind in kinds or (is_download and kind in downloads_seen):
                continue
            kinds.add(kind)
            r = client.get(path)
            if r.status_code != 200:
                continue
            ctype = r.headers.get("content-type", "")
            if "html" in ctype:
                page = _Reader()
                page.feed(r.text)
                text = " ".join(page.text)
                queue += [
                    link
                    for link in page.links
                    if link.startswith("/")
                    and not link.startswith(("/static", "/docs", "/redoc", "/logout", "/language"))
                ]
            elif "pdf" in ctype:
                downloads_seen.add(kind)
                text = _pdf_text(r.content, tmp)
            elif "spreadsheet" in ctype:
                downloads_seen.add(kind)
                text = _xlsx_text(r.content, template=kind.endswith("template.xlsx"))
            else:
                continue
            for leak, around in _leaks(text).items():
                if leak not in ALLOWED_ON.get(kind, ()):
                    leaks[leak].add(f"{kind} «{around}»")
    return leaks


@pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed"
)
def test_demo_pages_pdfs_and_spreadsheets_read_in_chinese(demo, tmp_path):
    app, accounts = demo
    downloads: set[str] = set()
    found: dict[str, set[str]] = defaultdict(set)
    for account in accounts.accounts:
        for leak, where in _crawl(app, account, downloads, tmp_path).items():
            found[leak] |= {f"{account.role}: {w}" for w in where}
    # the crawl reached the downloads it is meant to read
    assert any(k.endswith("report.pdf") for k in downloads), downloads
    assert any(k.endswith(".xlsx") for k in downloads), downloads
    report = "\n".join(f"{leak!r} on {sorted(where)[:4]}" for leak, where in sorted(found.items()))
    assert not found, f"untranslated identifiers where users read:\n{report}"


@pytest.mark.parametrize(
    ("text", "leaks"),
    [
        ("可信度为 secondary", {"secondary"}),
        ("题号 funding_rate", {"funding_rate"}),
        ("Input should be a finite number", {"Input should"}),
        ("missing answer to question 'network'", {"missing answer"}),
        ("可信度：二手来源（待与官方公告核对）；总分 61.4", set()),
        ("因子表 cn-grid-emission-factors v2024.12；文件 report_2024.pdf", set()),
    ],
)
def test_the_scan_finds_what_it_is_meant_to(text, leaks):
    assert set(_leaks(text)) == leaks
