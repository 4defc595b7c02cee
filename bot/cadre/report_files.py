"""The weekly report as people read it: a text summary, a PNG chart, an XLSX workbook."""

from __future__ import annotations

import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("Agg")  # no display: render to PNG in memory
import matplotlib.pyplot as plt  # noqa: E402
from openpyxl import Workbook  # noqa: E402
from openpyxl.styles import Font  # noqa: E402

from bot.cadre.report import WeeklyReport  # noqa: E402
from bot.i18n import Gettext, money  # noqa: E402


def pct(v: Decimal | None) -> str:
    return "—" if v is None else f"{v:.2f}".replace(".", ",") + " %"


def period_text(r: WeeklyReport, tz: str) -> str:
    z = ZoneInfo(tz)
    return f"{r.start.astimezone(z):%d/%m} – {r.end.astimezone(z):%d/%m/%Y}"


def summary_text(_: Gettext, r: WeeklyReport, tz: str) -> str:
    lines = [
        _("📊 Báo cáo tuần {period}").format(period=period_text(r, tz)),
        _("Bao phủ BHYT {year}: {actual} (chỉ tiêu {target}), còn thiếu {gap} người.").format(
            year=r.year, actual=pct(r.percent), target=pct(r.target_percent), gap=r.gap_people
        ),
        _("Khách hàng tiềm năng mới: {new} · đã nhận: {claimed} · đã tham gia: {enrolled}").format(
            new=r.leads_new, claimed=r.leads_claimed, enrolled=r.leads_enrolled
        ),
        _("Thẻ mới trong tuần: {cards}").format(cards=r.cards_period),
        "",
    ]
    for c in r.communes:
        lines.append(
            _("• {name}: {actual} / {target}, thẻ mới {cards}").format(
                name=c.name,
                actual=pct(c.percent),
                target=pct(c.target_percent),
                cards=c.cards_period,
            )
        )
    if r.top_agents:
        lines += ["", _("Đại lý thu nhiều thẻ nhất:")]
        for i, a in enumerate(r.top_agents, 1):
            lines.append(
                _("{i}. {name}: {cards} thẻ ({bonus})").format(
                    i=i, name=a.name, cards=a.cards, bonus=money(a.bonus_vnd)
                )
            )
    return "\n".join(lines)


def chart_png(_: Gettext, r: WeeklyReport, tz: str) -> bytes:
    names = [c.name for c in r.communes] or ["—"]
    actual = [float(c.percent or 0) for c in r.communes] or [0.0]
    target = [float(c.target_percent or 0) for c in r.communes] or [0.0]
    height = max(3.0, 0.55 * len(names) + 1.5)
    fig, (ax1, ax2) = plt.subplots(
        1, 2, figsize=(12, height), gridspec_kw={"width_ratios": [3, 2]}, dpi=100
    )
    y = range(len(names))
    ax1.barh([i + 0.2 for i in y], target, height=0.4, label=_("Chỉ tiêu"), color="#c9d6ea")
    ax1.barh([i - 0.2 for i in y], actual, height=0.4, label=_("Thực tế"), color="#2e6fbd")
    ax1.set_yticks(list(y), names)
    ax1.invert_yaxis()
    low = min([v for v in actual + target if v > 0] or [0.0])
    ax1.set_xlim(max(0.0, low - 10), 100)
    ax1.set_xlabel(_("Tỷ lệ bao phủ BHYT (%)"))
    ax1.set_title(_("Bao phủ {year}: thực tế và chỉ tiêu").format(year=r.year), loc="left")
    ax1.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, frameon=False)
    steps = [_("Mới"), _("Đã nhận"), _("Đã tham gia"), _("Thẻ mới")]
    values = [r.leads_new, r.leads_claimed, r.leads_enrolled, r.cards_period]
    bars = ax2.bar(steps, values, color=["#9ab", "#6a9", "#2a7", "#e83"])
    ax2.bar_label(bars)
    ax2.margins(y=0.15)
    ax2.set_title(_("Khách hàng tiềm năng trong tuần"))
    fig.suptitle(_("Báo cáo tuần {period}").format(period=period_text(r, tz)))
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def workbook_xlsx(_: Gettext, r: WeeklyReport, tz: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _("Bao phu")
    bold = Font(bold=True)
    ws.append([_("Báo cáo tuần {period}").format(period=period_text(r, tz))])
    ws.append(
        [
            _("Xã/phường"),
            _("Chỉ tiêu {year} (%)").format(year=r.year),
            _("Dân số"),
            _("Đã tham gia"),
            _("Thực tế (%)"),
            _("Còn thiếu (người)"),
            _("KH mới"),
            _("Đã nhận"),
            _("Đã tham gia (KH)"),
            _("Thẻ mới trong tuần"),
        ]
    )
    for cell in ws[2]:
        cell.font = bold
    for c in r.communes:
        ws.append(
            [
                c.name,
                float(c.target_percent) if c.target_percent is not None else None,
                c.population,
                c.insured,
                float(c.percent) if c.percent is not None else None,
                c.gap_people,
                c.leads_new,
                c.leads_claimed,
                c.leads_enrolled,
                c.cards_period,
            ]
        )
    ws.append(
        [
            _("Tổng"),
            float(r.target_percent) if r.target_percent is not None else None,
            r.population,
            r.insured,
            float(r.percent) if r.percent is not None else None,
            r.gap_people,
            r.leads_new,
            r.leads_claimed,
            r.leads_enrolled,
            r.cards_period,
        ]
    )
    for cell in ws[ws.max_row]:
        cell.font = bold
    ag = wb.create_sheet(_("Dai ly"))
    ag.append([_("Đại lý"), _("Thẻ"), _("Hồ sơ"), _("Thưởng (VND)")])
    for cell in ag[1]:
        cell.font = bold
    for a in r.top_agents:
        ag.append([a.name, a.cards, a.leads, a.bonus_vnd])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
