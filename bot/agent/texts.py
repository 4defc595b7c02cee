"""What agents, cadres and citizens read about a lead: HTML texts and inline keyboards.

Pure functions over `db.followup` views; Vietnamese msgids through `bot.i18n.gettext_for`.
Callback data: `ag:<action>:<lead id>[:<value>]` (the citizen handlers never see `ag:`).
"""

from __future__ import annotations

import html
from datetime import date, datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.answers import household_summary
from bot.citizen.facts import Household
from bot.i18n import Gettext, money
from db.followup import Closing, LeadCard, LeadDetail, Outgoing, RenewalOut
from db.leads import TRANSITIONS, AgentStats

CARD_COUNTS = range(1, 7)
MONTH_CHOICES = (3, 6, 12)
DECLINE_REASONS = ("has_card", "money", "no_need", "other")
# Notes the db layer writes in English, as agents read them.
NOTES = {"updated by repeat request": "người dân gửi lại yêu cầu"}


def _e(text: object) -> str:
    return html.escape(str(text)) if text is not None else "-"


def status_label(_: Gettext, status: str) -> str:
    return {
        "new": _("chưa ai nhận"),
        "claimed": _("đã nhận"),
        "contacted": _("đã liên hệ"),
        "enrolled": _("đã tham gia"),
        "declined": _("từ chối"),
        "unreachable": _("không liên lạc được"),
    }.get(status, status)


def household_text(_: Gettext, household: dict | None) -> str:
    """The same summary the citizen was shown with the quote ("Mình hiểu nhà bạn có: ...")."""
    if not household:
        return "-"
    hh = Household.from_dict(household)
    parts = [_("{n} người").format(n=hh.head_count)] if hh.head_count else []
    if hh.members or hh.household_groups:
        parts.append(household_summary(_, hh))
    if hh.months:
        parts.append(_("đóng {m} tháng").format(m=hh.months))
    return "; ".join(p for p in parts if p) or "-"


def card_lines(_: Gettext, c: LeadCard) -> list[str]:
    lines = [
        _("Người dân: {name}").format(name=_e(c.citizen_name)),
        _("Nơi ở: {place}").format(place=_e(c.commune)),
        _("Hộ: {facts}").format(facts=_e(household_text(_, c.household))),
        _("Báo giá: {total}").format(
            total=money(c.quote_total_vnd) if c.quote_total_vnd is not None else "-"
        ),
    ]
    if c.phone:
        lines.append(_("📞 SĐT: <b>{phone}</b>").format(phone=_e(c.phone)))
    return lines


def waited(_: Gettext, since: datetime | None, now: datetime) -> str:
    if since is None:
        return "-"
    minutes = max(int((now - since).total_seconds() // 60), 0)
    if minutes < 120:
        return _("{n} phút").format(n=minutes)
    return _("{n} giờ").format(n=minutes // 60)


def kb(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def offer_keyboard(_: Gettext, lead_id: int) -> InlineKeyboardMarkup:
    return kb([[(_("Nhận"), f"ag:claim:{lead_id}"), (_("Bỏ qua"), f"ag:skip:{lead_id}")]])


def outcome_keyboard(_: Gettext, c: LeadCard) -> InlineKeyboardMarkup | None:
    allowed = TRANSITIONS.get(c.status, frozenset())
    rows: list[list[tuple[str, str]]] = []
    if "contacted" in allowed:
        rows.append([(_("Đã liên hệ"), f"ag:out:{c.id}:contacted")])
    if "enrolled" in allowed:
        rows.append([(_("Đã tham gia"), f"ag:enr:{c.id}")])
    if "unreachable" in allowed:
        rows.append([(_("Không liên lạc được"), f"ag:out:{c.id}:unreachable")])
    if "declined" in allowed:
        rows.append([(_("Từ chối"), f"ag:dec:{c.id}")])
    if c.status == "claimed":
        rows.append([(_("Trả lại cho đại lý khác"), f"ag:rel:{c.id}")])
    return kb(rows) if rows else None


def cards_keyboard(_: Gettext, lead_id: int) -> InlineKeyboardMarkup:
    return kb(
        [
            [(str(n), f"ag:cards:{lead_id}:{n}") for n in CARD_COUNTS],
            [(_("« Quay lại"), f"ag:back:{lead_id}")],
        ]
    )


def decline_keyboard(_: Gettext, lead_id: int) -> InlineKeyboardMarkup:
    labels = {
        "has_card": _("Đã có BHYT"),
        "money": _("Chưa đủ tiền"),
        "no_need": _("Không có nhu cầu"),
        "other": _("Lý do khác"),
    }
    rows = [[(labels[r], f"ag:why:{lead_id}:{r}")] for r in DECLINE_REASONS]
    rows.append([(_("« Quay lại"), f"ag:back:{lead_id}")])
    return kb(rows)


def decline_reason(_: Gettext, code: str) -> str:
    return {
        "has_card": _("Đã có BHYT"),
        "money": _("Chưa đủ tiền"),
        "no_need": _("Không có nhu cầu"),
    }.get(code, code)


def renewal_keyboard(_: Gettext, lead_id: int) -> InlineKeyboardMarkup:
    return kb([[(_("{m} tháng").format(m=m), f"ag:end:{lead_id}:{m}") for m in MONTH_CHOICES]])


# --- messages -------------------------------------------------------------------------------------


def offer_text(_: Gettext, c: LeadCard) -> str:
    return "\n".join(
        [_("🆕 <b>Yêu cầu liên hệ số {id}</b>").format(id=c.id), *card_lines(_, c)]
        + [_("<i>Số điện thoại hiện ra sau khi bạn bấm Nhận.</i>")]
    )


def outgoing_text(_: Gettext, o: Outgoing, now: datetime, release_h: float) -> str:
    c = o.card
    if o.kind == "offer":
        return offer_text(_, c)
    if o.kind == "remind":
        head = _("⏰ <b>Yêu cầu số {id} chưa có ai nhận sau {waited}</b>").format(
            id=c.id, waited=waited(_, o.since, now)
        )
        return "\n".join([head, *card_lines(_, c)])
    if o.kind == "escalate":
        head = _("⚠️ <b>Yêu cầu liên hệ số {id} chưa có đại lý nào nhận sau {waited}</b>").format(
            id=c.id, waited=waited(_, o.since, now)
        )
        agents = ", ".join(o.agent_names) if o.agent_names else _("chưa có đại lý dùng bot")
        return "\n".join(
            [head, *card_lines(_, c), _("Đại lý thu của xã/phường: {names}").format(names=agents)]
            + [_("Anh/chị nhắc đại lý nhận yêu cầu, hoặc phân công người gọi lại.")]
        )
    if o.kind == "owner_remind":
        head = _("⏰ <b>Bạn nhận yêu cầu số {id} đã {waited} mà chưa ghi kết quả</b>").format(
            id=c.id, waited=waited(_, o.since, now)
        )
        tail = _(
            "Nếu chưa cập nhật, yêu cầu sẽ được trả lại cho các đại lý khác sau {h} giờ kể từ "
            "lúc nhận."
        ).format(h=f"{release_h:g}")
        return "\n".join([head, *card_lines(_, c), tail])
    if o.kind == "released":
        return _(
            "↩️ Yêu cầu số {id} ({place}) đã được trả lại cho các đại lý khác vì quá hạn chưa "
            "ghi kết quả."
        ).format(id=c.id, place=_e(c.commune))
    if o.kind == "citizen_claimed":
        return _(
            "👋 Đại lý thu <b>{agent}</b> đã nhận yêu cầu số {id} của bạn và sẽ gọi cho bạn sớm."
        ).format(agent=_e(c.owner_name or ""), id=c.id)
    raise ValueError(o.kind)


def outgoing_keyboard(_: Gettext, o: Outgoing) -> InlineKeyboardMarkup | None:
    if o.kind in ("offer", "remind"):
        return offer_keyboard(_, o.lead_id)
    if o.kind == "owner_remind":
        return outcome_keyboard(_, o.card)
    return None


def closing_text(_: Gettext, c: Closing) -> str:
    if c.is_owner and c.status != "new":
        return _("✅ Bạn đã nhận yêu cầu số {id}. Xem: /lead {id}").format(id=c.lead_id)
    if c.status == "new":
        return _("↩️ Yêu cầu số {id} đã được mở lại, xem tin mới bên dưới.").format(id=c.lead_id)
    if c.owner_name:
        return _("🔒 Yêu cầu số {id} đã được <b>{name}</b> nhận.").format(
            id=c.lead_id, name=_e(c.owner_name)
        )
    return _("🔒 Yêu cầu số {id} đã đóng.").format(id=c.lead_id)


def claimed_text(_: Gettext, c: LeadCard) -> str:
    return "\n".join(
        [_("✅ <b>Bạn đã nhận yêu cầu số {id}</b>").format(id=c.id), *card_lines(_, c)]
        + [_("Gọi cho người dân rồi ghi kết quả bằng các nút bên dưới.")]
    )


def owner_card_text(_: Gettext, c: LeadCard, note: str | None = None) -> str:
    head = _("<b>Yêu cầu số {id}</b> — {status}").format(id=c.id, status=status_label(_, c.status))
    lines = [head, *card_lines(_, c)]
    if c.status == "enrolled":
        lines.append(_("Số thẻ: {n}").format(n=c.cards_enrolled))
    if note:
        lines.append(note)
    return "\n".join(lines)


def lost_text(_: Gettext, c: LeadCard) -> str:
    if c.owner_name:
        return _("🔒 Yêu cầu số {id} đã được <b>{name}</b> nhận.").format(
            id=c.id, name=_e(c.owner_name)
        )
    return _("🔒 Yêu cầu số {id} không còn chờ nhận.").format(id=c.id)


def leads_list_text(_: Gettext, cards: list[LeadCard], tz: str) -> str:
    if not cards:
        return _("Bạn không có yêu cầu nào đang mở.")
    lines = [_("<b>Yêu cầu đang mở của bạn</b> (cũ nhất trước):")]
    zone = ZoneInfo(tz)
    for c in cards:
        lines.append(
            _("• /lead {id} — {name}, {phone}, {status}, từ {day}").format(
                id=c.id,
                name=_e(c.citizen_name),
                phone=_e(c.phone),
                status=status_label(_, c.status),
                day=c.created_at.astimezone(zone).strftime("%d/%m %H:%M"),
            )
        )
    return "\n".join(lines)


def detail_text(_: Gettext, d: LeadDetail, tz: str) -> str:
    zone = ZoneInfo(tz)
    c = d.card
    lines = [
        _("<b>Yêu cầu số {id}</b> — {status}").format(id=c.id, status=status_label(_, c.status))
    ]
    lines += card_lines(_, c)
    if c.owner_name:
        lines.append(_("Đại lý nhận: {name}").format(name=_e(c.owner_name)))
    if c.status == "enrolled":
        lines.append(_("Số thẻ: {n}").format(n=c.cards_enrolled))
    lines.append(_("<b>Lịch sử</b>"))
    for h in d.history:
        step = status_label(_, h.to_status)
        if h.from_status is None:
            step = _("yêu cầu mới")
        elif h.from_status == h.to_status:
            step = _("cập nhật")
        line = f"• {h.at.astimezone(zone).strftime('%d/%m %H:%M')} {step}"
        if h.actor:
            line += f" — {_e(h.actor)}"
        note = NOTES.get(h.note, h.note) if h.note else None
        if note:
            line += f": {_e(_(note))}"
        lines.append(line)
    for kind, end, due, sent in d.renewals:
        lines.append(
            _("Nhắc gia hạn ({kind}) ngày {due}, thẻ hết hạn {end}{sent}").format(
                kind=_("trước 1 tháng") if kind == "month" else _("trước 1 tuần"),
                due=due.strftime("%d/%m/%Y"),
                end=end.strftime("%d/%m/%Y"),
                sent=_(" — đã gửi") if sent else "",
            )
        )
    return "\n".join(lines)


def stats_text(_: Gettext, this: AgentStats, last: AgentStats) -> str:
    def block(title: str, st: AgentStats) -> list[str]:
        return [
            f"<b>{title}</b>",
            _("• Thẻ đã vận động tham gia: {cards} (từ {n} hộ)").format(
                cards=st.cards, n=st.enrolled
            ),
            _("• Thưởng dự kiến: {bonus}").format(bonus=money(st.bonus_vnd)),
            _("• Đã nhận {claimed}, đã liên hệ {contacted}, từ chối {declined}, "
              "không liên lạc được {unreachable}").format(
                claimed=st.claimed,
                contacted=st.contacted,
                declined=st.declined,
                unreachable=st.unreachable,
            ),
        ]  # fmt: skip

    return "\n".join(
        block(_("Tháng này ({m})").format(m=this.start.strftime("%m/%Y")), this)
        + [""]
        + block(_("Tháng trước ({m})").format(m=last.start.strftime("%m/%Y")), last)
    )


def renewal_ask_text(_: Gettext, lead_id: int, default_end: date) -> str:
    return _(
        "Thẻ BHYT của hộ (yêu cầu số {id}) có hạn đến ngày nào? Mình sẽ nhắc người dân gia hạn "
        "trước 1 tháng và 1 tuần. Đang đặt mặc định: hết hạn {end}. Chọn số tháng đã đóng, "
        "hoặc gõ ngày hết hạn (ví dụ 31/12/2027)."
    ).format(id=lead_id, end=default_end.strftime("%d/%m/%Y"))


def renewal_citizen_text(_: Gettext, r: RenewalOut) -> str:
    return _(
        "🔔 Thẻ BHYT của hộ bạn sẽ hết hạn ngày <b>{end}</b>. Bạn nhớ gia hạn trước ngày này để "
        "không bị gián đoạn quyền lợi. Đại lý thu {agent} sẽ liên hệ, hoặc bấm nút bên dưới."
    ).format(end=r.card_end.strftime("%d/%m/%Y"), agent=_e(r.owner_name or ""))


def renewal_agent_text(_: Gettext, r: RenewalOut) -> str:
    return _(
        "🔔 Thẻ BHYT của {name} (yêu cầu số {id}, {n} thẻ) hết hạn ngày {end}. Bạn nhớ gọi "
        "nhắc gia hạn: /lead {id}"
    ).format(name=_e(r.citizen_name), id=r.lead_id, n=r.cards, end=r.card_end.strftime("%d/%m/%Y"))
