"""Run every benchmark script of this folder and the fuzzer (``make bench``).

Pass ``--quick`` for small sizes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
extra = sys.argv[1:]
failed = []
# the fuzzer is time-budgeted (--quick: 15 s, else 60 s) and fails on any crash
for script in [*sorted(here.glob("bench_*.py")), here / "fuzz_readers.py"]:
    print(f"\n##### {script.name} {' '.join(extra)}", flush=True)
    if subprocess.run([sys.executable, str(script), *extra], check=False).returncode:
        failed.append(script.name)
if failed:
    sys.exit(f"benchmarks failed: {', '.join(failed)}")
