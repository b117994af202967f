"""The CLI imports the web stack only inside ``nqpf db …`` and ``nqpf serve``."""

from __future__ import annotations

import subprocess
import sys


def test_cli_import_does_not_load_the_web_stack():
    code = (
        "import sys, nqpf.cli.main\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'fastapi', 'starlette', 'sqlalchemy', 'alembic', 'uvicorn', 'argon2'}"
        " or m.startswith('nqpf.web'))\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
