"""Weekly report numbers against a hand-computed fixture (targets and counts imported from
CSV files in the seed-002 shape, leads moved through the real services)."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from bot.cadre.report import compute_report
from bot.cadre.report_files import chart_png, summary_text, workbook_xlsx
from bot.i18n import gettext_for
from bot.stack import grant_roles, prepare_database
from db import coverage
from db import leads as db_leads
from db.models import Commune, Lead, LeadEvent
from tests.cadre.helpers import AI_QUOC, HONG_BANG, LE_CHAN, commune_id, person

NOW = datetime.now(UTC).replace(microsecond=0)
START, END = NOW - timedelta(days=7), NOW + timedelta(minutes=5)
YEAR = 2026

TARGETS_CSV = """TT,Xã/phường,Tỷ lệ bảo phủ BHYT (%),
,,Năm 2025,Năm 2026
1,Phường Ái Quốc,93,95.5
2,Phường Lê Chân,94,97
3,Phường Hồng Bàng,90,92
"""
COUNTS_CSV = """commune,province,as_of,population,insured
Phường Ái Quốc,Hải Phòng,2026-10-31,20000,18500
Phường Ái Quốc,Hải Phòng,2026-11-20,20000,18800
Phường Lê Chân,Hải Phòng,2026-11-15,10000,9750
Phường Hồng Bàng,Hải Phòng,2026-11-15,5000,4000
"""


@pytest.fixture(scope="module")
def area(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    db = prepare_database(f"sqlite:///{tmp}/report.sqlite3")
    (tmp / "targets.csv").write_text(TARGETS_CSV, encoding="utf-8")
    (tmp / "counts.csv").write_text(COUNTS_CSV, encoding="utf-8")
    t = db.call(coverage.import_targets, tmp / "targets.csv", "Hải Phòng", True)
    c = db.call(coverage.import_counts, tmp / "counts.csv", None, True)
    assert (t.written, c.written) == (6, 4)
    a, b, c_ = (commune_id(db, x) for x in (AI_QUOC, LE_CHAN, HONG_BANG))
    db.call(
        lambda s: s.execute(
            update(Commune).where(Commune.id == a).values(bonus_per_card_vnd=25_000)
        )
    )
    grant_roles(db, 901, "Xuân", "agent", [AI_QUOC])
    grant_roles(db, 902, "Yến", "agent", [LE_CHAN])
    grant_roles(db, 903, "Zung", "agent", [HONG_BANG])
    x, y, z = (person(db, t, n) for t, n in ((901, "Xuân"), (902, "Yến"), (903, "Zung")))

    def lead(n: int, commune: int, agent: int | None, path: list[tuple[str, int | None]]):
        citizen = person(db, 10_000 + n, f"Dân {n}")

        def work(s):
            ld, _ = db_leads.create_or_update_lead(s, citizen, commune, None, None, None, None)
            if agent is not None:
                assert db_leads.claim_lead(s, ld.id, agent)
            for status, cards in path:
                db_leads.record_outcome(s, ld.id, agent, status, cards)
            return ld.id

        return db.call(work)

    def backdate(lead_id: int, created: datetime, events: datetime | None = None):
        def work(s):
            s.execute(update(Lead).where(Lead.id == lead_id).values(created_at=created))
            if events is not None:
                s.execute(update(LeadEvent).where(LeadEvent.lead_id == lead_id).values(at=events))

        db.call(work)

    lead(1, a, None, [])  # new
    lead(2, a, x, [])  # claimed
    lead(3, a, x, [("contacted", None), ("enrolled", 3)])
    lead(4, b, y, [("enrolled", 2)])
    l5 = lead(5, b, y, [("enrolled", 4)])  # created before the week, enrolled in it
    backdate(l5, NOW - timedelta(days=10))
    lead(6, a, x, [("contacted", None), ("declined", None)])
    lead(7, c_, z, [("enrolled", 5)])  # another commune: not in the report
    l8 = lead(8, a, x, [("enrolled", 1)])  # created and enrolled before the week
    backdate(l8, NOW - timedelta(days=20), NOW - timedelta(days=19))
    yield db, (a, b)
    db.dispose()


def test_report_numbers_match_the_hand_computed_fixture(area):
    db, (a, b) = area
    r = db.call(compute_report, [b, a], START, END, YEAR)
    ai, le = {c.commune_id: c for c in r.communes}[a], {c.commune_id: c for c in r.communes}[b]

    # Ái Quốc: latest count 18 800 / 20 000 = 94 %; target 95.5 % -> 19 100 -> 300 short
    assert (ai.target_percent, ai.population, ai.insured) == (Decimal("95.50"), 20000, 18800)
    assert (ai.percent, ai.gap_people) == (Decimal("94.00"), 300)
    # leads created this week: 1 new, 2 claimed, 3 enrolled, 6 declined -> 4 / 3 / 1
    assert (ai.leads_new, ai.leads_claimed, ai.leads_enrolled) == (4, 3, 1)
    assert ai.cards_period == 3  # lead 8's card was enrolled 19 days ago
    # Lê Chân: 9 750 / 10 000 = 97.5 % over a 97 % target
    assert (le.percent, le.target_percent, le.gap_people) == (Decimal("97.50"), Decimal("97.00"), 0)
    assert (le.leads_new, le.leads_claimed, le.leads_enrolled) == (1, 1, 1)
    assert le.cards_period == 6  # 2 + 4 (lead 5 was created before the week)

    assert (r.population, r.insured, r.percent) == (30000, 28550, Decimal("95.17"))
    assert r.target_percent == Decimal("96.00")  # (95.5 x 20 000 + 97 x 10 000) / 30 000
    assert (r.leads_new, r.leads_claimed, r.leads_enrolled, r.cards_period) == (5, 4, 2, 9)
    assert [(t.name, t.cards, t.leads, t.bonus_vnd) for t in r.top_agents] == [
        ("Yến", 6, 2, 120_000),  # Lê Chân: province default 20 000 per card
        ("Xuân", 3, 1, 75_000),  # Ái Quốc's own rate 25 000 per card
    ]


def test_report_files(area, tmp_path):
    db, (a, b) = area
    r = db.call(compute_report, [a, b], START, END, YEAR)
    _ = gettext_for("vi")
    text = summary_text(_, r, "Asia/Ho_Chi_Minh")
    assert "95,17 %" in text and "96,00 %" in text and "Thẻ mới trong tuần: 9" in text
    assert "1. Yến: 6 thẻ (120.000 ₫)" in text
    png = chart_png(_, r, "Asia/Ho_Chi_Minh")
    assert png.startswith(b"\x89PNG")
    xlsx = workbook_xlsx(_, r, "Asia/Ho_Chi_Minh")
    assert zipfile.is_zipfile(BytesIO(xlsx))
    ws = load_workbook(BytesIO(xlsx)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[2][:6] == ("Phường Ái Quốc", 95.5, 20000, 18800, 94.0, 300)
    assert rows[-1][0] == "Tổng" and rows[-1][9] == 9
