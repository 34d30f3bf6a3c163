"""Run Python code in a new interpreter from the project's root.

What a test checks here belongs to the whole process: the modules loaded (``sys.modules`` of
the test process holds everything earlier tests imported), the garbage collector's state,
what runs at exit. One place for the few lines every such test needs.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_fresh(
    code: str, *, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` (``python -c``) in a new interpreter in the project's root; capture its text."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=None if env is None else dict(env),
    )


def last_line(code: str, env: Mapping[str, str] | None = None) -> str:
    """Run ``code`` in a new interpreter; assert it succeeded; return the last line it printed."""
    proc = run_fresh(code, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip().splitlines()[-1]
