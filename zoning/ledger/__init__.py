"""The red-line ledger (生态保护红线信息台账) and the supervision of human activities in it.

* :func:`build_ledger` — one row per red-line feature: counties, area, land cover, overlaps,
  human activities, vintage and source checksum (:mod:`zoning.ledger.build`).
* :func:`check_ledgers` — the three "not"s between two vintages (面积不减少, 性质不改变,
  功能不降低), per county, city and for the whole catalogue (:mod:`zoning.ledger.check`).
* :func:`supervise` — screens every human-activity patch inside the red line and protected
  areas; suspected problem patches and allowed limited activities (:mod:`zoning.ledger.supervise`).

Source text: 000_4195c4ce1761a0fb.txt L556–593 (建立生态保护红线信息台账 … 确保生态功能不降低、
面积不减少、性质不改变).
"""

from zoning.ledger.build import build_ledger
from zoning.ledger.check import LedgerCheck, check_ledgers
from zoning.ledger.supervise import SupervisionResult, supervise

__all__ = ["LedgerCheck", "SupervisionResult", "build_ledger", "check_ledgers", "supervise"]
