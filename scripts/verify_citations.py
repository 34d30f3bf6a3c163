"""Check the citation register of the bundled rule packs against the seed texts.

For every citation with a seed file and line, the quoted sentence (whitespace and PDF line breaks
removed; ``……`` marks an elision) must occur within two lines of the cited range. Prints one line
per citation and exits 1 when a citation marked ``verified`` is not found.

Usage::

    python scripts/verify_citations.py /path/to/seeds
"""

from __future__ import annotations

import re
import sys
from pathlib import Path


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def main(seeds: Path) -> int:
    from zoning.rules import load_rulepacks

    failed = 0
    for pack in load_rulepacks():
        for cid, cit in pack.citations.items():
            if not cit.seed_file:
                print(f"{pack.id}:{cid}: no seed reference (verified={cit.verified})")
                continue
            lines = (seeds / cit.seed_file).read_text(encoding="utf-8").splitlines()
            a, _, b = cit.line.partition("-")
            lo, hi = int(a), int(b or a)
            window = _squash("".join(lines[max(0, lo - 3) : hi + 2]))
            parts = [_squash(p) for p in cit.quote_zh.split("……") if p.strip()]
            found = all(p in window for p in parts)
            mark = "ok" if found else "NOT FOUND"
            print(f"{pack.id}:{cid}: {cit.seed_file}:L{cit.line} {mark} (verified={cit.verified})")
            if cit.verified and not found:
                failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
