"""Answer texts built from the domain: quotes and eligibility from `policies`, the rest from the
catalog. No Telegram here; handlers send what these functions return (HTML parse mode)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date

import policies
from bot.citizen.facts import Household, Member
from bot.i18n import Gettext, money

LAW = "Luật Bảo hiểm y tế 2008, sửa đổi 2014 và Luật 51/2024/QH15"


def group_label(_: Gettext, group: str) -> str:
    labels = {
        "poor": _("hộ nghèo"),
        "near_poor": _("hộ cận nghèo"),
        "student": _("học sinh, sinh viên"),
        "farm_avg_income": _("hộ nông, lâm, ngư, diêm nghiệp có mức sống trung bình"),
        "elderly_no_pension": _("người cao tuổi không có lương hưu, trợ cấp"),
        "social_pension": _("người đang hưởng trợ cấp xã hội hằng tháng"),
        "child_under_6": _("trẻ em dưới 6 tuổi"),
        "ethnic_minority_hardship": _("người dân tộc thiểu số ở vùng đặc biệt khó khăn"),
        "meritorious": _("người có công với cách mạng và thân nhân"),
        "disabled": _("người khuyết tật"),
        "hiv": _("người nhiễm HIV/AIDS"),
        "blind_association": _("hội viên Hội Người mù"),
        "waste_collector": _("người thu gom rác ở tổ dân phố"),
        "party_member_40y": _("đảng viên huy hiệu 40 năm"),
        "employee": _("người lao động có hợp đồng"),
        "pensioner": _("người hưởng lương hưu"),
        "household": _("tham gia theo hộ gia đình"),
    }
    return labels.get(group, group)


def topic_label(_: Gettext, intent: str) -> str:
    return {
        "ask_cost": _("💰 Mua BHYT hết bao nhiêu tiền"),
        "ask_eligibility": _("🎁 Ai được nhà nước hỗ trợ"),
        "ask_where_to_buy": _("📍 Mua, gia hạn thẻ ở đâu"),
        "ask_benefits": _("🏥 Thẻ BHYT được hưởng gì"),
        "ask_card_validity": _("📅 Khi nào thẻ có hiệu lực"),
        "ask_documents": _("📄 Cần giấy tờ gì"),
        "request_contact": _("📞 Nhờ cán bộ liên hệ"),
    }.get(intent, intent)


# --- quotes ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class QuoteAnswer:
    text: str
    data: dict  # what the lead stores: request, total, per-member amounts


def quote_household(rules, hh: Household, today: date, _: Gettext) -> QuoteAnswer:
    request = hh.quote_request(today)
    q = policies.quote(policies.parse_request(request, rules), rules)
    known_age = [m.age is not None for m in hh.members] + [False] * hh.unknown_members()
    place = hh.commune_name or hh.province_name
    head = _("<b>{n} người, {months} tháng{place}: tổng {total}</b>").format(
        n=len(q.members),
        months=q.request.months,
        place=f" ({html.escape(place)})" if place else "",
        total=money(q.total_vnd),
    )
    lines = [head]
    for m, age_known in zip(q.members, known_age, strict=True):
        who = (
            _("Người {i} ({age} tuổi)").format(i=m.index + 1, age=m.age)
            if age_known
            else _("Người {i}").format(i=m.index + 1)
        )
        lines.append(f"• {who}: <b>{money(m.amount_vnd)}</b> — {html.escape(_line_text(m, _))}")
    notes = []
    assumptions = hh.assumptions()
    if "adults_household_line" in assumptions and not hh.members:
        notes.append(
            _(
                "Tính theo hộ gia đình, nếu không ai dưới 6 tuổi hay thuộc diện được hỗ trợ "
                "(hộ nghèo, cận nghèo, học sinh, người cao tuổi…)."
            )
        )
    elif "adults_household_line" in assumptions:
        notes.append(
            _(
                "Những người bạn chưa nói rõ được tính theo hộ gia đình, nếu không ai dưới 6 tuổi "
                "hay thuộc diện được hỗ trợ."
            )
        )
    if "months_12" in assumptions:
        notes.append(_("Tính cho 12 tháng; bạn có thể chọn đóng 3 hoặc 6 tháng."))
    if "national_only" in assumptions:
        notes.append(_("Chưa tính hỗ trợ riêng của tỉnh/thành vì chưa biết bạn ở đâu."))
    elif hh.province_slug not in policies.known_provinces(rules):
        notes.append(_("Mình chưa có dữ liệu hỗ trợ riêng của tỉnh/thành này, mới tính mức chung."))
    base = q.base_salary
    notes.append(
        _("Mức đóng 4,5% lương cơ sở {base}/tháng (từ {start}).").format(
            base=money(int(base.value)), start=base.start.strftime("%d/%m/%Y")
        )
    )
    if q.unconfirmed:
        notes.append(
            _(
                "Một số số liệu (lương cơ sở, mức hỗ trợ) tính theo thông tin hiện có, cần xác nhận lại."
            )
        )
    lines.append("")
    lines.extend(f"<i>{html.escape(n)}</i>" for n in notes)
    data = {
        "request": request,
        "total_vnd": q.total_vnd,
        "members_amount_vnd": [m.amount_vnd for m in q.members],
        "rules_as_of": q.rules_as_of.isoformat(),
    }
    return QuoteAnswer("\n".join(lines), data)


def _line_text(m, _: Gettext) -> str:
    if m.line == "household":
        return _("hộ gia đình, người thứ {rank} ({pct}% mức đóng)").format(
            rank=m.rank, pct=_pct(m.ladder_percent)
        )
    if m.line == "covered_elsewhere":
        return _("đã có BHYT qua {group}, không phải mua").format(group=group_label(_, m.group))
    support = sum(s.percent for s in m.shares)
    label = group_label(_, m.group) if m.group else ""
    if m.line == "free_group":
        return _("miễn phí ({group})").format(group=label)
    return _("{group}, được hỗ trợ {pct}%").format(group=label, pct=_pct(support))


def _pct(value) -> str:
    if value is None:
        return "?"
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def quote_basis(rules, quote_data: dict | None, locale: str) -> str | None:
    if not quote_data:
        return None
    q = policies.quote(policies.parse_request(quote_data["request"], rules), rules)
    return policies.explain(q, locale=locale)


# --- eligibility -------------------------------------------------------------------------------
def eligibility(rules, hh: Household, today: date, _: Gettext) -> str:
    province = hh.province_slug
    people = [m for m in hh.members if m.age is not None or m.groups]
    if not people and set(hh.household_groups) - {"household"}:
        people = [Member()]  # "hộ cận nghèo thì sao": answer for one person of that household
    lines: list[str] = []
    if people:
        for m in people:
            lines.append(_person_eligibility(rules, hh, m, today, _))
    else:
        lines.append(_("<b>Nhà nước đóng hoặc hỗ trợ tiền BHYT cho:</b>"))
        for d in policies.eligible_support_details(rules, today, province):
            lines.append(_support_line(d, _))
        if province is None:
            lines.append(
                _("Tỉnh/thành có thể hỗ trợ thêm: cho mình biết bạn ở đâu để xem mức của tỉnh.")
            )
    lines.append(
        _("Người có hợp đồng lao động đóng qua nơi làm việc; người hưởng lương hưu đã có thẻ.")
    )
    return "\n".join(lines)


def _support_line(d, _: Gettext) -> str:
    band = ""
    if d.min_age is not None or d.max_age is not None:
        band = _(" (từ {lo} đến {hi} tuổi)").format(lo=d.min_age or 0, hi=d.max_age or "…")
    what = _("miễn phí") if d.percent >= 100 else _("hỗ trợ {pct}%").format(pct=_pct(d.percent))
    mark = _(" (theo thông tin hiện có)") if d.unconfirmed else ""
    return f"• {group_label(_, d.group)}{band}: {what}{mark}"


def _person_eligibility(rules, hh: Household, m, today: date, _: Gettext) -> str:
    groups = sorted(set(m.groups) | (set(hh.household_groups) - {"household"}))
    age = m.age if m.age is not None else 30
    request = {"date": today.isoformat(), "province": hh.province_slug, "months": 12,
               "members": [{"age": age, "groups": groups}]}  # fmt: skip
    q = policies.quote(policies.parse_request(request, rules), rules)
    mq = q.members[0]
    who = _("Người {age} tuổi").format(age=m.age) if m.age is not None else _("Người này")
    if groups:
        who += " (" + ", ".join(group_label(_, g) for g in groups) + ")"
    if mq.line == "household":
        text = _(
            "{who}: theo thông tin bạn cho, chưa thuộc diện được hỗ trợ; mua theo hộ gia đình "
            "{amount}/năm (người đầu tiên)."
        ).format(who=who, amount=money(mq.amount_vnd))
        if m.age is not None and not groups:
            options = [
                d for d in policies.eligible_support_details(rules, today, hh.province_slug, m.age)
                if not _is_age_only(d)
            ]  # fmt: skip
            if options:
                text += "\n" + _("Nếu thuộc một trong các diện sau thì được hỗ trợ:")
                text += "\n" + "\n".join(_support_line(d, _) for d in options)
        return text
    if mq.line == "covered_elsewhere":
        status = _line_text(mq, _)
    elif mq.line == "free_group":
        status = _("miễn phí")
    else:
        status = _("được hỗ trợ {pct}%").format(pct=_pct(sum(s.percent for s in mq.shares)))
    text = f"{who}: {status}; " + _("tự đóng {amount}/năm.").format(amount=money(mq.amount_vnd))
    bases = "; ".join(sorted({s.basis for s in mq.shares}))
    if bases:
        text += "\n" + _("Căn cứ: {basis}").format(basis=html.escape(bases))
    if mq.unconfirmed:
        text += _(" (theo thông tin hiện có)")
    return text


def _is_age_only(d) -> bool:
    return d.group == "child_under_6"


def eligibility_basis(rules, hh: Household, today: date, _: Gettext) -> str:
    details = policies.eligible_support_details(rules, today, hh.province_slug)
    bases = sorted({s.basis for d in details for s in d.shares})
    return _("<b>Căn cứ pháp lý</b>") + "\n" + "\n".join(f"• {html.escape(b)}" for b in bases)


# --- where to buy and static topics ----------------------------------------------------------
def where_to_buy(hh: Household, agents: list[str], _: Gettext) -> str:
    lines = [_("<b>Mua hoặc gia hạn thẻ BHYT hộ gia đình tại:</b>")]
    if hh.commune_name and agents:
        lines.append(
            _(
                "• Đại lý thu của {place}: {names} (bấm “Nhờ cán bộ liên hệ” để được gọi lại)"
            ).format(place=html.escape(hh.commune_name), names=html.escape(", ".join(agents)))
        )
    lines += [
        _("• UBND xã/phường nơi bạn ở (điểm thu BHYT) hoặc trạm y tế"),
        _("• Bưu điện gần nhà"),
        _("• Trực tuyến qua ứng dụng VssID hoặc Cổng Dịch vụ công quốc gia"),
        _("Học sinh, sinh viên mua qua nhà trường; người đi làm có hợp đồng do nơi làm việc đóng."),
    ]
    if not hh.commune_name:
        lines.append(_("Cho mình biết xã/phường của bạn để mình chỉ đại lý thu gần nhất."))
    return "\n".join(lines)


def static(topic: str, _: Gettext) -> str:
    if topic == "ask_benefits":
        return "\n".join(
            [
                _("<b>Quyền lợi thẻ BHYT</b> (thông thường):"),
                _("• Quỹ BHYT trả 80% chi phí khám chữa bệnh trong phạm vi được hưởng."),
                _("• 95% cho người thuộc hộ cận nghèo và một số nhóm khác."),
                _("• 100% cho trẻ em dưới 6 tuổi, hộ nghèo, người có công và các nhóm luật quy định."),
                _("• Khám đúng nơi đăng ký ban đầu hoặc được chuyển tuyến để hưởng đủ quyền lợi."),
                _("• Tham gia đủ 5 năm liên tục có thể được hưởng 100% phần vượt mức (chi tiết theo Luật)."),
            ]
        )  # fmt: skip
    if topic == "ask_card_validity":
        return "\n".join(
            [
                _("<b>Khi nào thẻ có hiệu lực</b>"),
                _("• Mua lần đầu theo hộ gia đình, hoặc mua lại sau khi thẻ gián đoạn từ 90 ngày trở lên: thẻ có giá trị sau 30 ngày kể từ ngày đóng tiền."),
                _("• Gia hạn liên tục (không bị gián đoạn): thẻ mới nối tiếp ngay thẻ cũ."),
                _("• Nên gia hạn trước khi thẻ hết hạn để không mất quyền lợi và không bị tính lại thời gian tham gia liên tục."),
                _("• Trẻ đủ 6 tuổi trước năm học vẫn dùng thẻ miễn phí đến hết 30/9 năm đó."),
            ]
        )  # fmt: skip
    return "\n".join(
        [
            _("<b>Giấy tờ cần khi mua BHYT hộ gia đình</b>"),
            _("• Số định danh cá nhân (căn cước) của từng người tham gia."),
            _("• Tờ khai tham gia BHYT (mẫu TK1-TS) — đại lý thu sẽ hướng dẫn điền."),
            _("• Thẻ BHYT cũ nếu có (để gia hạn liên tục)."),
            _("• Giấy xác nhận thuộc diện được hỗ trợ nếu có (sổ hộ nghèo, cận nghèo…)."),
            _("Mua qua VssID thì chỉ cần tài khoản định danh điện tử."),
        ]
    )  # fmt: skip


STATIC_BASIS = {
    "ask_benefits": "Luật BHYT 2008, sửa đổi 2014 và Luật 51/2024/QH15 (điều 22: mức hưởng)",
    "ask_card_validity": "Luật 51/2024/QH15 (điều 16: thời điểm thẻ có giá trị); "
    "Nghị định 146/2018/NĐ-CP",
    "ask_documents": "Quyết định 595/QĐ-BHXH (thủ tục thu BHYT; mẫu TK1-TS)",
}


def basis(topic: str, rules, chat_data: dict, _: Gettext, locale: str = "vi") -> str:
    """The legal basis behind an answer ("Xem căn cứ")."""
    if topic == "quote":
        text = quote_basis(rules, chat_data.get("last_quote"), locale)
        return html.escape(text) if text else _("Chưa có báo giá nào để xem căn cứ.")
    if topic == "eligibility":
        hh = chat_data.get("household") or Household()
        return eligibility_basis(rules, hh, date.today(), _)
    ref = STATIC_BASIS.get(topic, LAW)
    return _("<b>Căn cứ</b>: {ref}").format(ref=html.escape(ref))


PHONE_DIGITS = re.compile(r"\D")


def normalise_phone(raw: str) -> str | None:
    """Vietnamese mobile as 10 digits starting with 0 (+84/84 accepted), else None."""
    digits = PHONE_DIGITS.sub("", raw)
    if digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if len(digits) == 10 and digits[0] == "0" and digits[1] in "35789":
        return digits
    return None
