"""PDF from an nqpf HTML report, printed by headless Chromium.

:func:`html_to_pdf_bytes` writes the HTML into a private temporary folder, adds an
``@font-face`` rule that points the report's first font family ("Noto Sans CJK SC") at the
OFL font file shipped in the ``mplfonts`` wheel (a ``file://`` URL, which Chromium loads
for a ``file://`` page) and prints it with ``chromium --headless --print-to-pdf``;
:func:`html_to_pdf` writes that PDF into place atomically.  Chinese therefore renders, and
the font is embedded (subset) in the PDF, even on a machine with no CJK system font.

The report's own ``@media print`` rules (A4, 15 mm × 12 mm margins, no scrolling tables)
apply.  Chromium is found through the ``NQPF_CHROMIUM`` environment variable, then
``chromium``, ``chromium-browser``, ``google-chrome`` and ``google-chrome-stable`` on
``PATH``.  Without it both raise :class:`PdfEngineError` saying what to install; write
HTML instead, or print the HTML from a browser.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from nqpf.exceptions import NqpfError
from nqpf.io.atomic import atomic_write
from nqpf.reports.fonts import CJK_FAMILY, cjk_font_path

__all__ = ["PdfEngineError", "find_chromium", "html_to_pdf", "html_to_pdf_bytes"]

_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# No network, no sync, no first-run UI: the report is self-contained and the browser
# must not try to reach the internet (it would stall on an offline machine).
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-pdf-header-footer",
    "--run-all-compositor-stages-before-draw",
    # Let the page finish loading (the CJK font is large) before printing.
    "--virtual-time-budget=20000",
)


class PdfEngineError(NqpfError):
    """No PDF engine is available, or it failed to print the report."""


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome executable, or None.

    ``NQPF_CHROMIUM`` (a path) wins over the executables on ``PATH``.
    """
    env = os.environ.get("NQPF_CHROMIUM")
    if env:
        return env if Path(env).is_file() and os.access(env, os.X_OK) else None
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _font_face() -> str:
    """``@font-face`` for the report's CJK family, from the mplfonts file ('' if absent)."""
    path = cjk_font_path()
    if path is None:
        return ""
    return (
        f'@font-face {{ font-family: "{CJK_FAMILY}"; '
        f'src: url("{path.resolve().as_uri()}") format("opentype"); }}\n'
    )


def _with_font(html: str) -> str:
    face = _font_face()
    if not face:
        return html
    style = f"<style>\n{face}</style>\n"
    head = html.find("<head>")
    if head >= 0:
        at = head + len("<head>")
        return f"{html[:at]}\n{style}{html[at:]}"
    return style + html


def html_to_pdf(
    html: str,
    path: str | os.PathLike[str],
    *,
    chromium: str | os.PathLike[str] | None = None,
    timeout: float = 180.0,
) -> Path:
    """Print an HTML report to a PDF file.

    Parameters
    ----------
    html
        The document, e.g. from :func:`nqpf.reports.assessment_report.enterprise_report`.
        It must be self-contained (inline CSS, ``data:`` images), as nqpf's reports are.
    path
        The PDF to write.  It is written to a temporary file in the same folder and
        renamed, so a reader never sees half a file and a failure leaves an existing file
        untouched.
    chromium
        Executable to use; default :func:`find_chromium`.
    timeout
        Seconds to wait for the browser.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    PdfEngineError
        No Chromium found, the browser failed or timed out, or it wrote no PDF.
    """
    target = Path(path)
    exe = _executable(chromium)
    if not target.parent.is_dir():
        raise PdfEngineError(f"folder {str(target.parent)!r} does not exist")
    data = html_to_pdf_bytes(html, chromium=exe, timeout=timeout)
    with atomic_write(target, "wb") as fh:
        fh.write(data)
    return target


def html_to_pdf_bytes(
    html: str, *, chromium: str | os.PathLike[str] | None = None, timeout: float = 180.0
) -> bytes:
    """The PDF of an HTML report, in memory (a download); see :func:`html_to_pdf`.

    Raises
    ------
    PdfEngineError
        No Chromium found, the browser failed or timed out, or it wrote no PDF.
    """
    exe = _executable(chromium)
    with tempfile.TemporaryDirectory(prefix="nqpf-pdf-") as tmp:
        work = Path(tmp)
        page = work / "report.html"
        page.write_text(_with_font(html), encoding="utf-8")
        printed = work / "report.pdf"
        argv = [
            exe,
            *_FLAGS,
            f"--user-data-dir={work / 'profile'}",
            f"--print-to-pdf={printed}",
            page.as_uri(),
        ]
        try:
            proc = subprocess.run(
                argv, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise PdfEngineError(f"Chromium did not finish printing within {timeout:g} s") from None
        except OSError as exc:
            raise PdfEngineError(f"cannot run Chromium {exe!r}: {exc}") from None
        data = printed.read_bytes() if printed.is_file() else b""
    if data[:5] != b"%PDF-":
        tail = " ".join((proc.stderr or "").strip().splitlines()[-3:])
        raise PdfEngineError(
            f"Chromium wrote no PDF (exit code {proc.returncode}){': ' + tail if tail else ''}"
        )
    return data


def _executable(chromium: str | os.PathLike[str] | None) -> str:
    """``chromium`` or :func:`find_chromium`, or the error saying what to install."""
    exe = str(chromium) if chromium is not None else find_chromium()
    if exe is None:
        raise PdfEngineError(
            "cannot write PDF: no Chromium found (install the 'chromium' package, or set "
            "NQPF_CHROMIUM to a Chrome/Chromium executable); write .html instead and print "
            "it from a browser"
        )
    return exe
