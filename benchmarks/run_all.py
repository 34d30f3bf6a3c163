"""Run every benchmark script of this folder (``make bench``); pass ``--quick`` for small sizes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
extra = sys.argv[1:]
failed = []
for script in sorted(here.glob("bench_*.py")):
    print(f"\n##### {script.name} {' '.join(extra)}", flush=True)
    if subprocess.run([sys.executable, str(script), *extra], check=False).returncode:
        failed.append(script.name)
if failed:
    sys.exit(f"benchmarks failed: {', '.join(failed)}")
