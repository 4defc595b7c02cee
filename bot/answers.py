"""Answer texts built from the domain: quotes and eligibility from `policies`, the rest from the
catalog. No Telegram here; handlers send what these functions return (HTML parse mode)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import policies
from bot.citizen.facts import DEFAULT_AGE, Household, Member
from bot.i18n import Gettext, money

# Non-price answers and the facts file each is built from (policies/parameters/facts/).
FACT_TOPICS = {
    "ask_benefits": "benefits",
    "ask_card_validity": "card_validity",
    "ask_documents": "documents",
    "ask_where_to_buy": "where_to_buy",
}


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
        "disabled_severe": _("người khuyết tật nặng, đặc biệt nặng"),
        "island_commune": _("người sống ở xã đảo, đặc khu"),
        "hardship_area": _("người sống ở xã, thôn đặc biệt khó khăn"),
        "armed_forces_relative": _("thân nhân quân đội, công an"),
    }
    return labels.get(group, group)


def relation_label(_: Gettext, relation: str | None) -> str | None:
    return {
        "self": _("bạn"),
        "parent": _("bố/mẹ"),
        "child": _("con"),
        "spouse": _("vợ/chồng"),
        "grandparent": _("ông/bà"),
        "grandchild": _("cháu"),
        "sibling": _("anh/chị/em"),
    }.get(relation or "")


def member_label(_: Gettext, hh: Household, index: int) -> str:
    """'Người thứ 2 (ông/bà, khuyết tật)': who a question is about, as the person described them."""
    m = hh.members[index]
    parts = [p for p in (relation_label(_, m.relation),) if p]
    parts += [group_label(_, g) for g in m.groups if g != "household"]
    if m.age is not None:
        parts.insert(0, _("{age} tuổi").format(age=m.age))
    who = _("Người thứ {i}").format(i=index + 1)
    return f"{who} ({html.escape(', '.join(parts))})" if parts else who


def household_summary(_: Gettext, hh: Household) -> str:
    """What we understood, as the person would say it: '2 ông/bà 68 tuổi (người cao tuổi không
    có lương hưu, trợ cấp), 2 cháu (học sinh, sinh viên), 2 người chưa rõ tuổi'."""
    counts: dict[tuple, int] = {}
    for m in hh.members:
        key = (m.relation, m.age, tuple(g for g in m.groups if g != "household"))
        counts[key] = counts.get(key, 0) + 1
    parts = []
    for (relation, age, groups), n in counts.items():
        words = relation_label(_, relation) or _("người")
        text = f"{n} {words}" if n > 1 else words
        if age is not None:
            text += " " + _("{age} tuổi").format(age=age)
        if groups:
            text += " (" + ", ".join(group_label(_, g) for g in groups) + ")"
        parts.append(text)
    if hh.unknown_members():
        parts.append(_("{n} người chưa rõ tuổi").format(n=hh.unknown_members()))
    shared = [group_label(_, g) for g in hh.household_groups if g != "household"]
    summary = ", ".join(parts)
    return f"{', '.join(shared)}: {summary}" if shared else summary


def question_buttons(
    question: policies.Question, _: Gettext, locale: str = "vi"
) -> tuple[str, str]:
    """Yes/no labels; a question whose plain "Có"/"Không" would mislead names the facts."""
    yes = policies.render_text(question.probe_label, locale) if question.probe_label else _("Có")
    no = policies.render_text(question.other_label, locale) if question.other_label else _("Không")
    return yes, no


def question_text(question: policies.Question, locale: str = "vi") -> str:
    return html.escape(policies.render_text(question.text, locale))


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


def quote_household(
    rules: policies.Rules, hh: Household, today: date, _: Gettext, locale: str = "vi"
) -> QuoteAnswer:
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
    lines = [
        head,
        _("Mình hiểu nhà bạn có: {summary}.").format(summary=html.escape(household_summary(_, hh))),
    ]
    for m, age_known in zip(q.members, known_age, strict=True):
        who = (
            _("Người {i} ({age} tuổi)").format(i=m.index + 1, age=m.age)
            if age_known
            else _("Người {i}").format(i=m.index + 1)
        )
        if m.application:
            lines.append(f"• {who}: {html.escape(_application_text(m, m.application, _, locale))}")
        else:
            lines.append(f"• {who}: <b>{money(m.amount_vnd)}</b> — {html.escape(_line_text(m, _))}")
        for question in m.questions:
            lines.append(f"  <i>{question_text(question, locale)}</i>")
    notes = []
    assumptions = hh.assumptions()
    if "adults_household_line" in assumptions:
        notes.append(
            _(
                "Người chưa rõ tuổi được tính như người lớn; trẻ dưới 6 tuổi, người cao tuổi và "
                "các diện được hỗ trợ khác có thể đóng ít hơn."
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
        _("Mức đóng {rate}% lương cơ sở {base}/tháng (từ {start}).").format(
            rate=_pct(q.rate.value).replace(".", ","),
            base=money(int(base.value)),
            start=base.start.strftime("%d/%m/%Y"),
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


def _application_text(m: policies.MemberQuote, application: str, _: Gettext, locale: str) -> str:
    """A free card that needs an application: where to apply instead of a price of 0 ₫."""
    return _("miễn phí ({group}) khi được duyệt: {how}").format(
        group=group_label(_, m.group or ""), how=policies.render_text(application, locale)
    )


def _line_text(m: policies.MemberQuote, _: Gettext) -> str:
    if m.line == "household":
        return _("hộ gia đình, người thứ {rank} ({pct}% mức đóng)").format(
            rank=m.rank, pct=_pct(m.ladder_percent)
        )
    if m.line == "covered_elsewhere":
        return _("đã có BHYT qua {group}, không phải mua").format(
            group=group_label(_, m.group or "")
        )
    support = sum(s.percent for s in m.shares)
    label = group_label(_, m.group) if m.group else ""
    if m.line == "free_group":
        return _("miễn phí ({group})").format(group=label)
    return _("{group}, được hỗ trợ {pct}%").format(group=label, pct=_pct(support))


def _pct(value: Decimal | int | None) -> str:
    if value is None:
        return "?"
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def quote_basis(rules: policies.Rules, quote_data: dict | None, locale: str) -> str | None:
    if not quote_data:
        return None
    q = policies.quote(policies.parse_request(quote_data["request"], rules), rules)
    return policies.explain(q, locale=locale)


# --- eligibility -------------------------------------------------------------------------------
def eligibility(
    rules: policies.Rules, hh: Household, today: date, _: Gettext, locale: str = "vi"
) -> str:
    province = hh.province_slug
    people = [m for m in hh.members if m.age is not None or m.groups]
    if not people and set(hh.household_groups) - {"household"}:
        people = [Member()]  # "hộ cận nghèo thì sao": answer for one person of that household
    lines: list[str] = []
    if people:
        for m in people:
            lines.append(_person_eligibility(rules, hh, m, today, _, locale))
    else:
        lines.append(_("<b>Nhà nước đóng hoặc hỗ trợ tiền BHYT cho:</b>"))
        for d in policies.eligible_support_details(rules, today, province):
            lines.append(_support_line(d, _))
    if province is None:
        lines.append(
            _("Tỉnh/thành có thể hỗ trợ thêm: cho mình biết bạn ở đâu để xem mức của tỉnh.")
        )
    elif province not in policies.known_provinces(rules):
        lines.append(
            _(
                "Mình chưa có dữ liệu hỗ trợ riêng của {province}; tỉnh/thành có thể hỗ trợ thêm "
                "ngoài các mức trên, bạn hỏi UBND xã/phường nhé."
            ).format(province=html.escape(hh.province_name or province))
        )
    covered = policies.covered_elsewhere_groups(rules, today)
    if covered:
        lines.append(
            _("Đã có thẻ qua nơi khác, không cần mua theo hộ: {groups}.").format(
                groups=", ".join(group_label(_, g) for g in covered)
            )
        )
    return "\n".join(lines)


def _support_line(d: policies.SupportDetail, _: Gettext) -> str:
    band = ""
    if d.min_age is not None or d.max_age is not None:
        band = _(" (từ {lo} đến {hi} tuổi)").format(lo=d.min_age or 0, hi=d.max_age or "…")
    what = _("miễn phí") if d.percent >= 100 else _("hỗ trợ {pct}%").format(pct=_pct(d.percent))
    mark = _(" (theo thông tin hiện có)") if d.unconfirmed else ""
    return f"• {group_label(_, d.group)}{band}: {what}{mark}"


def _groups_of(hh: Household, m: Member) -> list[str]:
    return sorted(set(m.groups) | (set(hh.household_groups) - {"household"}))


def _person_eligibility(
    rules: policies.Rules, hh: Household, m: Member, today: date, _: Gettext, locale: str
) -> str:
    groups = _groups_of(hh, m)
    who = _("Người {age} tuổi").format(age=m.age) if m.age is not None else _("Người này")
    if groups:
        who += " (" + ", ".join(group_label(_, g) for g in groups) + ")"
    sensitive = policies.age_sensitive_groups(rules, today, hh.province_slug)
    if m.age is None and set(groups) & sensitive:
        bands = _age_bands(rules, hh, groups, today)
        if len({d.percent for d in bands}) > 1:
            return _by_age_bands(bands, who, _)
    age = m.age if m.age is not None else DEFAULT_AGE
    mq = _quote_one(rules, hh, age, groups, today)
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
    elif mq.application:
        text = f"{who}: " + html.escape(_application_text(mq, mq.application, _, locale))
    else:
        text = f"{who}: {_status(mq, _)}; " + _("tự đóng {amount}/năm.").format(
            amount=money(mq.amount_vnd)
        )
    for question in mq.questions:
        text += "\n" + _if_yes(rules, hh, age, groups, question, today, _, locale)
    bases = "; ".join(dict.fromkeys(s.basis for s in mq.shares))
    if bases:
        text += "\n" + _("Căn cứ: {basis}").format(basis=html.escape(bases))
    if mq.unconfirmed:
        text += _(" (theo thông tin hiện có)")
    return text


def _quote_one(
    rules: policies.Rules, hh: Household, age: int, groups: list[str], today: date
) -> policies.MemberQuote:
    request = hh.one_person_request(today, age, groups)
    return policies.quote(policies.parse_request(request, rules), rules).members[0]


def _status(mq: policies.MemberQuote, _: Gettext) -> str:
    if mq.line == "covered_elsewhere":
        return _line_text(mq, _)
    if mq.line == "free_group":
        return _("miễn phí")
    if mq.line == "household":
        return _("mua theo hộ gia đình {amount}/năm").format(amount=money(mq.amount_vnd))
    return _("được hỗ trợ {pct}%, tự đóng {amount}/năm").format(
        pct=_pct(sum(s.percent for s in mq.shares)), amount=money(mq.amount_vnd)
    )


def _if_yes(
    rules: policies.Rules,
    hh: Household,
    age: int,
    groups: list[str],
    question: policies.Question,
    today: date,
    _: Gettext,
    locale: str,
) -> str:
    """A question that would change the answer, and what the answer would then be."""
    probe = question.probe(policies.Member(age=age, groups=tuple(groups)))
    mq = _quote_one(rules, hh, probe.age, list(probe.groups), today)
    then = _application_text(mq, mq.application, _, locale) if mq.application else _status(mq, _)
    return _("❓ {question} Nếu đúng: {then}.").format(
        question=question_text(question, locale), then=html.escape(then)
    )


def _age_bands(
    rules: policies.Rules, hh: Household, groups: list[str], today: date
) -> list[policies.SupportDetail]:
    return [
        d
        for d in policies.eligible_support_details(rules, today, hh.province_slug)
        if d.group in groups
    ]


def _by_age_bands(details: list[policies.SupportDetail], who: str, _: Gettext) -> str:
    """Support that depends on age and no age given: every band, not a guess (§8.7)."""
    lines = [_("{who}: mức hỗ trợ tùy theo tuổi:").format(who=who)]
    lines += [_support_line(d, _) for d in details]
    lines.append(_("Cho mình biết tuổi để tính chính xác."))
    return "\n".join(lines)


def _is_age_only(d: policies.SupportDetail) -> bool:
    return d.group == "child_under_6"


def eligibility_basis(rules: policies.Rules, hh: Household, today: date, _: Gettext) -> str:
    details = policies.eligible_support_details(rules, today, hh.province_slug)
    bases = sorted({s.basis for d in details for s in d.shares})
    return _("<b>Căn cứ pháp lý</b>") + "\n" + "\n".join(f"• {html.escape(b)}" for b in bases)


# --- where to buy and other facts (policies/parameters/facts) -------------------------------
def _fact_lines(
    rules: policies.Rules, topic: str, today: date, _: Gettext, locale: str
) -> list[str]:
    mark = _(" (theo thông tin hiện có)")
    return [
        f"• {html.escape(policies.render_text(item.text, locale))}"
        + (mark if item.row.unconfirmed else "")
        for item in policies.facts(rules, FACT_TOPICS[topic], today)
    ]


def _fact_title(rules: policies.Rules, topic: str, locale: str) -> str:
    title = policies.render_text(rules.facts[FACT_TOPICS[topic]].title, locale)
    return f"<b>{html.escape(title)}</b>"


def where_to_buy(rules: policies.Rules, hh: Household, agents: list[str], today: date,
                 _: Gettext, locale: str = "vi") -> str:  # fmt: skip
    lines = [_fact_title(rules, "ask_where_to_buy", locale)]
    if hh.commune_name and agents:
        lines.append(
            _(
                "• Đại lý thu của {place}: {names} (bấm “Nhờ cán bộ liên hệ” để được gọi lại)"
            ).format(place=html.escape(hh.commune_name), names=html.escape(", ".join(agents)))
        )
    lines += _fact_lines(rules, "ask_where_to_buy", today, _, locale)
    if not hh.commune_name:
        lines.append(_("Cho mình biết xã/phường của bạn để mình chỉ đại lý thu gần nhất."))
    return "\n".join(lines)


def static(topic: str, rules: policies.Rules, today: date, _: Gettext, locale: str = "vi") -> str:
    """Benefits, card validity, documents: the dated facts in force today."""
    return "\n".join(
        [_fact_title(rules, topic, locale), *_fact_lines(rules, topic, today, _, locale)]
    )


def fact_basis(rules: policies.Rules, topic: str, today: date, _: Gettext) -> str:
    """Each document behind a facts answer, with the dates it applies from (and to)."""
    lines = [_("<b>Căn cứ</b> (áp dụng ngày {day}):").format(day=today.strftime("%d/%m/%Y"))]
    seen: dict[str, tuple[date, date | None]] = {}
    for item in policies.facts(rules, FACT_TOPICS[topic], today):
        seen.setdefault(item.row.reference, (item.row.start, item.row.end))
    for ref, (start, end) in seen.items():
        since = _("từ {start}").format(start=start.strftime("%d/%m/%Y"))
        if end is not None:
            since += _(" đến {end}").format(end=end.strftime("%d/%m/%Y"))
        lines.append(f"• {html.escape(ref)} ({since})")
    return "\n".join(lines)


def basis(
    topic: str, rules: policies.Rules, chat_data: dict, today: date, _: Gettext, locale: str = "vi"
) -> str:
    """The legal basis behind an answer ("Xem căn cứ")."""
    if topic == "quote":
        text = quote_basis(rules, chat_data.get("last_quote"), locale)
        return html.escape(text) if text else _("Chưa có báo giá nào để xem căn cứ.")
    if topic == "eligibility":
        hh = chat_data.get("household") or Household()
        return eligibility_basis(rules, hh, today, _)
    if topic in FACT_TOPICS:
        return fact_basis(rules, topic, today, _)
    return _("Chưa có căn cứ cho câu trả lời này.")


PHONE_DIGITS = re.compile(r"\D")


def normalise_phone(raw: str) -> str | None:
    """Vietnamese mobile as 10 digits starting with 0 (+84/84 accepted), else None."""
    digits = PHONE_DIGITS.sub("", raw)
    if digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if len(digits) == 10 and digits[0] == "0" and digits[1] in "35789":
        return digits
    return None
