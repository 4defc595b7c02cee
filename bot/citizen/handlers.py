"""Citizen handlers: translate between Telegram and the domain, one handler per intent or step.

The conversation is a small state machine kept per chat in `_chat_data(context)["step"]`
(see citizen.mmd beside this file). A text message is first offered to the step we are waiting
on (its answer may need no NLU at all: a number, a place, a phone); anything else goes through
the NLU to the handler of its intent. Buttons carry `prefix:value` callback data.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot import answers, store
from bot.citizen import clarify
from bot.citizen.facts import MAX_AGE, Household
from bot.i18n import Gettext, gettext_for, normalise_locale
from bot.runtime import services
from nlu.client import NluResult, NluUnavailable

log = logging.getLogger(__name__)

# Steps of the citizen conversation (citizen.mmd).
IDLE = None
ASK_SIZE = "ask_size"
ASK_PLACE = "ask_place"
CONSENT = "consent"
PHONE = "phone"
ASK_COMMUNE = "ask_commune"
ASK_AGE = "ask_age"
CONFIRM_DELETE = "confirm_delete"

CONSENT_TEXT_VERSION = "contact_by_agent/v1"
IMPROVE_PURPOSE = "improve_answers"  # nlu/review.py exports only these people's messages
IMPROVE_TEXT_VERSION = "improve_answers/v1"
QUESTION_INTENTS = (
    "ask_cost",
    "ask_eligibility",
    "ask_where_to_buy",
    "ask_benefits",
    "ask_card_validity",
    "ask_documents",
    "request_contact",
)
# Messages whose people and ages describe the household to quote (other questions, e.g. papers
# for a newborn, name people without describing who joins).
DESCRIBING_INTENTS = ("ask_cost", "ask_eligibility", "inform", "request_contact", "affirm", "deny")
PHONE_RE = re.compile(r"(?:\+?84|0)[\s.\-]?(\d[\s.\-]?){9}")
NUMBER_RE = re.compile(r"\b(\d{1,3})\b")
LOOKS_LIKE_PHONE = re.compile(r"(?:sđt|sdt|số|so)?[\s:]*[\d\s.+\-()]{4,}", re.IGNORECASE)


# --- small helpers ---------------------------------------------------------------------------
def _t(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Gettext:
    return gettext_for(_locale(update, context))


def _locale(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """The person's language: what they chose, else their Telegram client's."""
    locale = context.user_data.get("locale") if context.user_data is not None else None
    if locale is None and update.effective_user:
        locale = update.effective_user.language_code
    return normalise_locale(locale)


def _today(context: ContextTypes.DEFAULT_TYPE) -> date:
    """Today where the citizens live (BHYT_TIMEZONE), not on the host: rules change at midnight."""
    return datetime.now(ZoneInfo(services(context).settings.timezone)).date()


def _chat_data(context: ContextTypes.DEFAULT_TYPE) -> dict[str, Any]:
    """The chat's data; every update these handlers get comes from a chat, so it exists."""
    chat_data = context.chat_data
    assert chat_data is not None
    return chat_data


def _user_data(context: ContextTypes.DEFAULT_TYPE) -> dict[str, Any]:
    """The user's data; every update these handlers get comes from a user, so it exists."""
    user_data = context.user_data
    assert user_data is not None
    return user_data


def _household(context: ContextTypes.DEFAULT_TYPE) -> Household:
    hh = _chat_data(context).get("household")
    if hh is None:
        hh = _chat_data(context)["household"] = Household()
    return hh


def _set_step(context: ContextTypes.DEFAULT_TYPE, step: str | None) -> None:
    _chat_data(context)["step"] = step


def _kb(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


async def _say(update: Update, text: str, markup=None) -> None:
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(text, reply_markup=markup, parse_mode=ParseMode.HTML)


def main_menu(_: Gettext) -> InlineKeyboardMarkup:
    return _kb(
        [
            [(_("💰 Tính tiền BHYT"), "menu:ask_cost"), (_("🎁 Ai được hỗ trợ"), "menu:ask_eligibility")],
            [(_("📍 Mua ở đâu"), "menu:ask_where_to_buy"), (_("🏥 Quyền lợi"), "menu:ask_benefits")],
            [(_("📅 Khi nào thẻ có hiệu lực"), "menu:ask_card_validity"), (_("📄 Giấy tờ cần"), "menu:ask_documents")],
            [(_("📞 Nhờ cán bộ liên hệ"), "menu:request_contact")],
        ]
    )  # fmt: skip


# --- entry: /start, /menu, /help ---------------------------------------------------------------
async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    _ = _t(update, context)
    source = context.args[0][:64] if context.args else None
    await store.ensure_person(services(context), update.effective_user, source=source)
    _set_step(context, IDLE)
    name = update.effective_user.first_name if update.effective_user else ""
    await _say(
        update,
        _(
            "Chào {name}! Mình là trợ lý bảo hiểm y tế (BHYT) của xã/phường. Bạn cứ hỏi bằng lời "
            "của mình, ví dụ: “nhà 4 người mua BHYT 1 năm hết bao nhiêu?”, hoặc chọn bên dưới."
        ).format(name=html.escape(name)),
        main_menu(_),
    )


async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    _ = _t(update, context)
    _set_step(context, IDLE)
    await _say(update, _("Bạn muốn hỏi gì?"), main_menu(_))


# --- text: the step we wait on first, then the NLU ------------------------------------------
async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    msg = update.effective_message
    assert msg is not None and msg.text is not None
    text = msg.text.strip()
    step = _chat_data(context).get("step")
    step_handler = STEP_TEXT_HANDLERS.get(step)
    if step_handler and await step_handler(update, context, text):
        return
    svc = services(context)
    try:
        parsed = await svc.nlu.parse(text)
    except NluUnavailable:
        _ = _t(update, context)
        await _say(
            update,
            _(
                "Xin lỗi, lúc này mình chưa đọc được câu hỏi tự do. Bạn chọn một câu hỏi "
                "bên dưới nhé, các nút vẫn dùng được."
            ),
            main_menu(_),
        )
        return
    await store.log_turn(svc, update.effective_user, text, parsed.intent, parsed.confidence)
    await route(update, context, parsed)


async def route(update: Update, context: ContextTypes.DEFAULT_TYPE, parsed: NluResult) -> None:
    """Send a parsed message to the handler of its intent; low confidence offers two topics."""
    hh = _household(context)
    rejected = hh.merge(
        {e.entity: parsed.values(e.entity) for e in parsed.entities},
        _today(context),
        parsed.text,
        describes=parsed.intent in DESCRIBING_INTENTS or parsed.intent is None,
    )
    if rejected:
        await _say(update, _rejected_text(_t(update, context), rejected))
    if parsed.intent is None:
        await not_understood(update, context, parsed)
        return
    handler = INTENT_HANDLERS.get(parsed.intent, out_of_scope)
    await handler(update, context)


def _rejected_text(_: Gettext, rejected: list[str]) -> str:
    parts = {
        "age": _("tuổi phải từ 0 đến 120"),
        "household_size": _("số người trong hộ phải từ 1 đến 20"),
        "months": _("kỳ đóng chỉ có 3, 6 hoặc 12 tháng"),
    }
    return _("Mình chưa dùng được một số thông tin: {details}.").format(
        details="; ".join(parts[r] for r in rejected)
    )


async def not_understood(
    update: Update, context: ContextTypes.DEFAULT_TYPE, parsed: NluResult
) -> None:
    _ = _t(update, context)
    topics = [i for i, _c in parsed.ranking if i in QUESTION_INTENTS][:2]
    rows = [[(answers.topic_label(_, i), f"topic:{i}")] for i in topics]
    rows.append([(_("Xem tất cả câu hỏi"), "menu:show")])
    await _say(update, _("Mình chưa chắc đã hiểu đúng. Có phải bạn muốn hỏi:"), _kb(rows))


# --- one handler per intent ------------------------------------------------------------------
async def greet(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    _ = _t(update, context)
    await store.ensure_person(services(context), update.effective_user)
    await _say(update, _("Chào bạn! Mình có thể giúp gì về bảo hiểm y tế (BHYT)?"), main_menu(_))


async def goodbye(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    _ = _t(update, context)
    _set_step(context, IDLE)
    await _say(update, _("Tạm biệt bạn! Khi cần, cứ nhắn mình bất cứ lúc nào."))


async def thank(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    _ = _t(update, context)
    await _say(update, _("Không có gì ạ! Bạn cần hỏi thêm gì cứ nhắn nhé."))


async def bot_challenge(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    _ = _t(update, context)
    await _say(
        update,
        _(
            "Mình là trợ lý tự động (chatbot) của xã/phường, không phải người thật. Nếu cần "
            "người tư vấn trực tiếp, bấm “Nhờ cán bộ liên hệ”."
        ),
        _kb([[(_("📞 Nhờ cán bộ liên hệ"), "menu:request_contact")]]),
    )


async def out_of_scope(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    _ = _t(update, context)
    await _say(
        update,
        _(
            "Mình chỉ trả lời được về bảo hiểm y tế (BHYT): giá, ai được hỗ trợ, mua ở đâu, "
            "quyền lợi, giấy tờ. Bạn chọn một câu hỏi nhé:"
        ),
        main_menu(_),
    )


async def affirm(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    step = _chat_data(context).get("step")
    if step == CONSENT:
        await consent_given(update, context)
    elif step == CONFIRM_DELETE:
        await delete_confirmed(update, context)
    else:
        _ = _t(update, context)
        await _say(update, _("Dạ. Bạn muốn hỏi gì tiếp?"), main_menu(_))


async def deny(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    _ = _t(update, context)
    step = _chat_data(context).get("step")
    _set_step(context, IDLE)
    if step == CONSENT:
        await _say(update, _("Không sao, mình không lưu số điện thoại của bạn."), main_menu(_))
    elif step == CONFIRM_DELETE:
        await _say(update, _("Đã hủy, dữ liệu của bạn vẫn giữ nguyên."))
    else:
        await _say(update, _("Dạ vâng. Khi cần bạn cứ hỏi nhé."), main_menu(_))


async def ask_cost(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    hh = _household(context)
    _ = _t(update, context)
    if hh.location_text and await _resolve_location(update, context, "quote") != RESOLVED:
        return
    if not hh.can_quote():
        _set_step(context, ASK_SIZE)
        rows = [[(str(n), f"size:{n}") for n in range(1, 6)], [(_("6 người trở lên"), "size:6")]]
        await _say(update, _("Nhà bạn có mấy người cùng mua BHYT theo hộ gia đình?"), _kb(rows))
        return
    await send_quote(update, context)


async def send_quote(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Quote what we know now, say what it assumes, then offer to refine; first ask what would
    change the price (an older member's age, a disability's severity, school) instead of guessing."""
    _ = _t(update, context)
    hh = _household(context)
    svc = services(context)
    if await _ask_next(update, context):
        return
    quote = answers.quote_household(svc.rules, hh, _today(context), _, _locale(update, context))
    _chat_data(context)["last_quote"] = quote.data
    _set_step(context, IDLE)
    rows = [
        [(_("3 tháng"), "months:3"), (_("6 tháng"), "months:6"), (_("12 tháng"), "months:12")],
        [(_("📞 Nhờ cán bộ liên hệ"), "menu:request_contact")],
        [(_("✏️ Sửa thông tin hộ"), "fix:menu")],
        [(_("📜 Xem căn cứ"), "basis:quote"), (_("🧮 Tính lại"), "quote:reset")],
    ]
    if hh.province_slug is None:
        rows.insert(1, [(_("📍 Thêm nơi ở để tính hỗ trợ của tỉnh"), "quote:place")])
    await _say(update, quote.text, _kb(rows))


async def _ask_next(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Put the next clarifying question, if any; True when one was asked. Only the buttons of
    the question last put are accepted (`pending_ask`): an older or forged one changes nothing."""
    _ = _t(update, context)
    hh = _household(context)
    ask = clarify.next_question(services(context).rules, hh, _today(context))
    if ask is None:
        return False
    _chat_data(context)["pending_ask"] = f"{hh.rev}:{ask.key}"
    data = f"clarify:{hh.rev}:{ask.key}"
    if ask.kind == clarify.AGE:
        await _ask_age_of(update, context, ask.index, data)
        return True
    _set_step(context, IDLE)
    if ask.kind == clarify.TOTAL:
        counted = len(hh.members)
        text = _(
            "Bạn nói nhà {said} người nhưng mình đếm được {counted} người ({summary}). Nhà bạn có "
            "mấy người cùng mua?"
        ).format(
            said=ask.threshold,
            counted=counted,
            summary=html.escape(answers.household_summary(_, hh)),
        )
        rows = [
            [
                (_("{n} người").format(n=ask.threshold), f"{data}:no"),
                (_("{n} người").format(n=counted), f"{data}:yes"),
            ]
        ]
        await _say(update, text, _kb(rows))
        return True
    if ask.kind == clarify.OLDER:
        text = _("Trong {n} người chưa rõ tuổi, có ai từ {age} tuổi trở lên không?").format(
            n=hh.unknown_members(), age=ask.threshold
        )
        rows = [[(_("Có"), f"{data}:yes"), (_("Không"), f"{data}:no")]]
        await _say(update, text, _kb(rows))
        return True
    assert ask.question is not None
    locale = _locale(update, context)
    who = answers.member_label(_, hh, ask.index)
    text = answers.question_text(ask.question, locale)
    yes, no = answers.question_buttons(ask.question, _, locale)
    await _say(update, f"{who}: {text}", _kb([[(yes, f"{data}:yes"), (no, f"{data}:no")]]))
    return True


async def _ask_age_of(
    update: Update, context: ContextTypes.DEFAULT_TYPE, index: int, data: str | None = None
) -> None:
    """Wait for a typed age of member `index`; `data`: the clarify button to skip it."""
    _ = _t(update, context)
    _chat_data(context)["pending_age"] = index
    _set_step(context, ASK_AGE)
    who = answers.member_label(_, _household(context), index)
    if data is None:
        await _say(update, _("{who} bao nhiêu tuổi?").format(who=who))
        return
    await _say(
        update,
        _("{who} bao nhiêu tuổi? Mức hỗ trợ phụ thuộc vào tuổi nên mình cần hỏi.").format(who=who),
        _kb([[(_("Không rõ"), f"{data}:no")]]),
    )


AGE_ANSWER = re.compile(r"(?<!\d)(\d{1,4})(?!\d)")


async def age_text(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> bool:
    """The awaited age: "76", "76t", "76 tuổi", "sinh năm 1950"."""
    m = AGE_ANSWER.search(text)
    hh = _household(context)
    index = _chat_data(context).get("pending_age")
    if not m or len(text) > 40 or not isinstance(index, int) or not 0 <= index < len(hh.members):
        _set_step(context, IDLE)  # not the answer: the question is dropped, not kept waiting
        _chat_data(context).pop("pending_age", None)
        return False
    number, today = int(m.group(1)), _today(context)
    age = today.year - number if 1900 < number <= today.year else number
    if not 0 <= age <= MAX_AGE:
        _ = _t(update, context)
        await _say(update, _("Tuổi phải từ 0 đến 120. Bạn gõ lại tuổi giúp mình nhé."))
        return True
    clarify.answer_age(hh, index, age)
    _chat_data(context).pop("pending_age", None)
    _chat_data(context).pop("pending_ask", None)
    _set_step(context, IDLE)
    await send_quote(update, context)
    return True


async def clarify_button(update: Update, context: ContextTypes.DEFAULT_TYPE, value: str) -> None:
    """`rev:index:kind:yes|no`, accepted only for the question last put to this household."""
    hh = _household(context)
    key, _sep, answer = value.rpartition(":")
    if answer not in ("yes", "no") or key != _chat_data(context).get("pending_ask"):
        return  # a stale or forged button
    _chat_data(context).pop("pending_ask", None)
    _rev, index_s, kind = key.split(":", 2)
    index = int(index_s)
    rules = services(context).rules
    if kind == clarify.TOTAL:
        clarify.answer_total(hh, answer == "yes")
        if answer == "no":  # let them remove who we counted twice
            await fix_button(update, context, "menu")
            return
    elif kind == clarify.OLDER:
        added = clarify.answer_older(hh, answer == "yes")
        if added is not None:
            await _ask_age_of(update, context, added)
            return
    elif kind == clarify.AGE:
        clarify.skip_age(hh, index)
        _chat_data(context).pop("pending_age", None)
        _set_step(context, IDLE)
    else:
        question = clarify.find_question(rules, kind)
        if question is None:
            return
        clarify.answer_question(hh, index, question, answer == "yes")
    await send_quote(update, context)


# --- fixing what was understood, without retyping ------------------------------------------------
FIX_GROUPS = {"school": "student", "nopension": "elderly_no_pension"}


async def fix_button(update: Update, context: ContextTypes.DEFAULT_TYPE, value: str) -> None:
    """`menu` · `<rev>:add` · `<rev>:m|age|del|school|nopension:<i>` · `<rev>:hg:<group>`; a
    button made for an earlier state of the household (other `rev`) is refused."""
    _ = _t(update, context)
    hh = _household(context)
    rules = services(context).rules
    if value == "menu":
        rev = str(hh.rev)
        rows = [
            [(answers.member_label(_, hh, i), f"fix:{rev}:m:{i}")]
            for i in range(min(len(hh.members), 10))
        ]
        rows += [
            [
                (
                    _("❌ Không phải {group}").format(group=answers.group_label(_, g)),
                    f"fix:{rev}:hg:{g}",
                )
            ]
            for g in hh.household_groups
            if g != "household"
        ]
        rows.append([(_("➕ Thêm người"), f"fix:{rev}:add"), (_("✅ Xong"), "quote:now")])
        await _say(update, _("Bạn muốn sửa ai?"), _kb(rows))
        return
    rev, _sep, rest = value.partition(":")
    action, _sep, arg = rest.partition(":")
    if rev != str(hh.rev):
        await _say(update, _("Thông tin hộ đã thay đổi; bạn bấm “✏️ Sửa thông tin hộ” lại nhé."))
        return
    if action == "add":
        if hh.head_count >= 20 and not hh.unknown_members():
            await _say(update, _("Số người trong hộ phải từ 1 đến 20. Nhà bạn có mấy người?"))
            return
        await _ask_age_of(update, context, hh.add_member())
        return
    if action == "hg":
        hh.drop_household_group(arg)
        await send_quote(update, context)
        return
    if not arg.isdigit() or not 0 <= int(arg) < len(hh.members):
        return  # a forged button
    index = int(arg)
    if action == "m":
        rows = [
            [
                (_("Sửa tuổi"), f"fix:{rev}:age:{index}"),
                (_("Bỏ người này"), f"fix:{rev}:del:{index}"),
            ],
            [(_("Đang đi học / thôi"), f"fix:{rev}:school:{index}")],
            [(_("Không lương hưu / có"), f"fix:{rev}:nopension:{index}")],
        ]
        await _say(update, answers.member_label(_, hh, index), _kb(rows))
    elif action == "age":
        await _ask_age_of(update, context, index)
    elif action == "del":
        hh.remove_member(index)
        await (send_quote(update, context) if hh.can_quote() else ask_cost(update, context))
    elif action in FIX_GROUPS:
        group = FIX_GROUPS[action]
        hh.toggle_group(index, group, clarify.questions_settled_by(rules, group))
        await send_quote(update, context)


async def ask_eligibility(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    _ = _t(update, context)
    hh = _household(context)
    if hh.location_text and await _resolve_location(update, context, "eligibility") == CHOOSING:
        return
    text = answers.eligibility(
        services(context).rules, hh, _today(context), _, _locale(update, context)
    )
    await _say(
        update,
        text,
        _kb(
            [
                [(_("💰 Tính tiền cho nhà mình"), "menu:ask_cost")],
                [(_("📜 Xem căn cứ"), "basis:eligibility")],
            ]
        ),
    )


async def ask_where_to_buy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    _ = _t(update, context)
    hh = _household(context)
    if hh.location_text and await _resolve_location(update, context, "where") == CHOOSING:
        return
    agents = await store.agents_of(services(context), hh.commune_id) if hh.commune_id else []
    await _say(
        update,
        answers.where_to_buy(
            services(context).rules, hh, agents, _today(context), _, _locale(update, context)
        ),
        _kb([[(_("📞 Nhờ cán bộ liên hệ"), "menu:request_contact")]]),
    )


async def ask_benefits(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _static_answer(update, context, "ask_benefits")


async def ask_card_validity(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _static_answer(update, context, "ask_card_validity")


async def ask_documents(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _static_answer(update, context, "ask_documents")


async def _static_answer(update: Update, context: ContextTypes.DEFAULT_TYPE, topic: str) -> None:
    _ = _t(update, context)
    await _say(
        update,
        answers.static(
            topic, services(context).rules, _today(context), _, _locale(update, context)
        ),
        _kb([[(_("📜 Xem căn cứ"), f"basis:{topic}"), (_("📋 Câu hỏi khác"), "menu:show")]]),
    )


async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    _ = _t(update, context)
    changed = await store.unsubscribe(services(context), update.effective_user)
    await _say(
        update,
        _("Đã hủy nhận tin chiến dịch. Bạn vẫn hỏi mình được bất cứ lúc nào.")
        if changed
        else _("Bạn hiện không đăng ký nhận tin nào."),
    )


async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    _ = _t(update, context)
    hh = _household(context)
    person = await store.ensure_person(services(context), update.effective_user)
    commune_id = hh.commune_id or person.commune_id
    if commune_id is None:
        _chat_data(context)["after_place"] = "subscribe"
        _set_step(context, ASK_COMMUNE)
        await _say(update, _("Bạn ở xã/phường nào? (ví dụ: phường Ái Quốc, Hải Phòng)"))
        return
    await store.subscribe(services(context), update.effective_user, commune_id)
    await _say(
        update,
        _("Đã đăng ký nhận tin BHYT của {place}. Gửi /huy_nhan_tin để dừng bất cứ lúc nào.").format(
            place=hh.commune_name or person.commune_name or ""
        ),
    )


# --- the lead: consent, phone, commune -----------------------------------------------------------
async def request_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    _ = _t(update, context)
    _set_step(context, CONSENT)
    await _say(
        update,
        _(
            "Để cán bộ thu BHYT (đại lý thu) của xã/phường gọi cho bạn, mình cần chia sẻ với "
            "<b>chỉ các đại lý thu của xã/phường bạn</b>: tên Telegram, số điện thoại, xã/phường "
            "và thông tin hộ bạn đã nhắn. Dữ liệu chỉ dùng để liên hệ về BHYT; bạn xem, sửa hoặc "
            "xóa bất cứ lúc nào bằng /du_lieu_cua_toi và /xoa_du_lieu.\n\nBạn có đồng ý không?"
        ),
        _kb([[(_("✅ Đồng ý chia sẻ"), "consent:yes"), (_("Không"), "consent:no")]]),
    )


async def consent_given(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    _ = _t(update, context)
    await store.record_consent(
        services(context), update.effective_user, "contact_by_agent", CONSENT_TEXT_VERSION
    )
    _set_step(context, PHONE)
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton(_("📱 Gửi số điện thoại của tôi"), request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    await _say(
        update,
        _(
            "Cảm ơn bạn. Bấm nút bên dưới để gửi số điện thoại, hoặc gõ số (10 số, ví dụ 0912345678)."
        ),
        keyboard,
    )


async def on_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    msg = update.effective_message
    assert msg is not None and msg.contact is not None
    _ = _t(update, context)
    if _chat_data(context).get("step") != PHONE:
        await _say(
            update, _("Mình chỉ nhận số điện thoại khi bạn nhờ cán bộ liên hệ."), main_menu(_)
        )
        return
    if (
        msg.contact.user_id
        and update.effective_user
        and msg.contact.user_id != update.effective_user.id
    ):
        await _say(update, _("Bạn vui lòng gửi số điện thoại của chính mình bằng nút bên dưới."))
        return
    await _phone_received(update, context, msg.contact.phone_number)


async def phone_text(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> bool:
    m = PHONE_RE.search(text)
    if not m:
        if LOOKS_LIKE_PHONE.fullmatch(text.strip()):
            _ = _t(update, context)
            await _say(update, _("Số điện thoại chưa đúng. Bạn gõ lại 10 số, ví dụ 0912345678."))
            return True
        return False
    await _phone_received(update, context, m.group(0))
    return True


async def _phone_received(update: Update, context: ContextTypes.DEFAULT_TYPE, raw: str) -> None:
    _ = _t(update, context)
    phone = answers.normalise_phone(raw)
    if phone is None:
        await _say(update, _("Số điện thoại chưa đúng. Bạn gõ lại 10 số, ví dụ 0912345678."))
        return
    hh = _household(context)
    hh.phone = phone
    await _say(update, _("Đã nhận số {phone}.").format(phone=phone), ReplyKeyboardRemove())
    if hh.commune_id is None:
        if hh.location_text and await _resolve_location(update, context, "lead") != RESOLVED:
            return
        if hh.commune_id is None:
            await _ask_commune(update, context, "lead")
            return
    await save_lead(update, context)


async def save_lead(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    _ = _t(update, context)
    hh = _household(context)
    svc = services(context)
    lead_id, created, agent_count = await store.save_lead(
        svc, update.effective_user, hh, _chat_data(context).get("last_quote")
    )
    _set_step(context, IDLE)
    if created:
        text = _("Đã ghi nhận yêu cầu số {id}. ").format(id=lead_id)
    else:
        text = _("Bạn đã có yêu cầu số {id} đang chờ; mình đã cập nhật thông tin mới. ").format(
            id=lead_id
        )
    if agent_count:
        text += _(
            "{n} đại lý thu của {place} đã được báo và sẽ gọi cho bạn trong giờ hành chính, "
            "thường trong 1 ngày làm việc. Mình sẽ nhắn bạn khi có người nhận."
        ).format(n=agent_count, place=hh.commune_name)
    else:
        text += _(
            "Hiện {place} chưa có đại lý thu dùng bot; cán bộ xã/phường sẽ nhận yêu cầu và gọi "
            "cho bạn."
        ).format(place=hh.commune_name)
    await _say(update, text, main_menu(_))
    if created:
        await svc.on_new_lead(context, lead_id)


# --- places ------------------------------------------------------------------------------------
RESOLVED, CHOOSING, MISSING = "resolved", "choosing", "missing"
NEEDS_COMMUNE = ("lead", "subscribe")  # continuations that need a commune, not just a province


async def _ask_commune(update: Update, context: ContextTypes.DEFAULT_TYPE, then: str) -> None:
    _ = _t(update, context)
    hh = _household(context)
    _chat_data(context)["after_place"] = then
    _set_step(context, ASK_COMMUNE)
    if hh.province_name:
        text = _("Bạn ở xã/phường nào của {province}?").format(province=hh.province_name)
    else:
        text = _("Bạn ở xã/phường nào? (ví dụ: phường Ái Quốc, Hải Phòng)")
    await _say(update, text)


async def _resolve_location(
    update: Update, context: ContextTypes.DEFAULT_TYPE, then: str, text: str | None = None
) -> str:
    """Resolve the place in `text` (or the one the NLU found) to a commune or a province.

    RESOLVED: the household knows its place. CHOOSING: we asked (buttons or a question) and
    `then` names what to continue with once the person answers. MISSING: not found and said so.
    """
    _ = _t(update, context)
    hh = _household(context)
    text = text or hh.location_text or ""
    hh.location_text = None
    hint = hh.province_name if then in NEEDS_COMMUNE else None
    found = await store.find_places(services(context), text, hint)
    if found.commune is not None:
        hh.commune_id, hh.commune_name = found.commune.id, found.commune.label
        hh.province_slug, hh.province_name = found.commune.province_slug, found.commune.province
        return RESOLVED
    if found.candidates:
        _chat_data(context)["after_place"] = then
        rows = [[(c.label, f"place:{c.id}")] for c in found.candidates[:6]]
        rows.append([(_("Không có trong danh sách"), "place:none")])
        await _say(update, _("Bạn ở đâu trong các nơi sau?"), _kb(rows))
        return CHOOSING
    if found.province is not None:
        hh.province_slug, hh.province_name = found.province.slug, found.province.name
        if then in NEEDS_COMMUNE:
            await _ask_commune(update, context, then)
            return CHOOSING
        return RESOLVED
    await _say(
        update,
        _(
            "Mình không tìm thấy “{text}”. Bạn ghi tên xã/phường và tỉnh, ví dụ “xã An Lão, Hải Phòng”."
        ).format(text=html.escape(text[:60])),
        _kb([[(_("Bỏ qua"), "quote:now")]]) if then == "quote" else None,
    )
    if then in ("quote", *NEEDS_COMMUNE):
        _chat_data(context)["after_place"] = then
        _set_step(context, ASK_COMMUNE if then in NEEDS_COMMUNE else ASK_PLACE)
        return CHOOSING
    return MISSING


async def place_text(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> bool:
    """While waiting for a place, the whole message is a place name."""
    then = _chat_data(context).get("after_place") or "quote"
    if await _resolve_location(update, context, then, text) == RESOLVED:
        await _continue(update, context)
    return True


async def _continue(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Carry on with what the person was doing when we asked for their place."""
    then = _chat_data(context).pop("after_place", None) or "quote"
    _set_step(context, IDLE)
    await CONTINUATIONS[then](update, context)


async def size_text(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> bool:
    m = NUMBER_RE.search(text)
    if not m or len(text) > 40:
        return False
    hh = _household(context)
    n = int(m.group(1))
    if not 1 <= n <= 20:
        _ = _t(update, context)
        await _say(update, _("Số người trong hộ phải từ 1 đến 20. Nhà bạn có mấy người?"))
        return True
    hh.size = max(n, len(hh.members))
    await send_quote(update, context)
    return True


# --- buttons -----------------------------------------------------------------------------------
async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    prefix, _sep, value = query.data.partition(":")
    handler = BUTTON_HANDLERS.get(prefix)
    if handler is None:
        log.warning("unknown button %r", query.data)
        return
    await handler(update, context, value)


async def menu_button(update: Update, context: ContextTypes.DEFAULT_TYPE, value: str) -> None:
    if value == "show":
        await menu(update, context)
        return
    _set_step(context, IDLE)
    await INTENT_HANDLERS.get(value, menu)(update, context)


async def size_button(update: Update, context: ContextTypes.DEFAULT_TYPE, value: str) -> None:
    hh = _household(context)
    hh.size = max(int(value), len(hh.members))
    if hh.province_slug is None and hh.commune_id is None:
        _ = _t(update, context)
        _set_step(context, ASK_PLACE)
        await _say(
            update,
            _("Bạn ở tỉnh/thành hay xã/phường nào? (để tính thêm hỗ trợ của tỉnh)"),
            _kb([[(_("Bỏ qua"), "quote:now")]]),
        )
        return
    await send_quote(update, context)


async def months_button(update: Update, context: ContextTypes.DEFAULT_TYPE, value: str) -> None:
    hh = _household(context)
    hh.months = int(value)
    if hh.can_quote():
        await send_quote(update, context)
    else:
        await ask_cost(update, context)


async def quote_button(update: Update, context: ContextTypes.DEFAULT_TYPE, value: str) -> None:
    _ = _t(update, context)
    if value == "reset":
        old = _household(context)
        _chat_data(context)["household"] = Household(rev=old.rev + 1)  # old buttons stay dead
        for key in ("pending_ask", "pending_age"):
            _chat_data(context).pop(key, None)
        await ask_cost(update, context)
    elif value == "place":
        _set_step(context, ASK_PLACE)
        await _say(update, _("Bạn ở tỉnh/thành hay xã/phường nào?"))
    else:  # "now": quote without a place
        await send_quote(update, context)


async def place_button(update: Update, context: ContextTypes.DEFAULT_TYPE, value: str) -> None:
    _ = _t(update, context)
    hh = _household(context)
    if value == "none":
        needs_commune = _chat_data(context).get("after_place") in NEEDS_COMMUNE
        _set_step(context, ASK_COMMUNE if needs_commune else ASK_PLACE)
        await _say(update, _("Bạn ghi rõ tên xã/phường và tỉnh giúp mình nhé."))
        return
    commune = await store.commune(services(context), int(value))
    if commune is None:
        await _say(update, _("Nơi này không còn trong danh sách, bạn ghi lại tên giúp mình."))
        return
    hh.commune_id, hh.commune_name = commune.id, commune.label
    hh.province_slug, hh.province_name = commune.province_slug, commune.province
    await _continue(update, context)


async def topic_button(update: Update, context: ContextTypes.DEFAULT_TYPE, value: str) -> None:
    await INTENT_HANDLERS.get(value, menu)(update, context)


async def consent_button(update: Update, context: ContextTypes.DEFAULT_TYPE, value: str) -> None:
    if _chat_data(context).get("step") != CONSENT:
        return
    if value == "yes":
        await consent_given(update, context)
    else:
        await deny(update, context)


async def basis_button(update: Update, context: ContextTypes.DEFAULT_TYPE, value: str) -> None:
    _ = _t(update, context)
    locale = _user_data(context).get("locale") or "vi"
    rules = services(context).rules
    await _say(update, answers.basis(value, rules, _chat_data(context), _today(context), _, locale))


# --- privacy -------------------------------------------------------------------------------------
async def fix_phone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/sua_sdt 09xxxxxxxx: correct the phone the agents of the commune see."""
    _ = _t(update, context)
    phone = answers.normalise_phone(" ".join(context.args or [])[:40])
    if phone is None:
        await _say(update, _("Bạn gõ: /sua_sdt rồi số mới (10 số), ví dụ /sua_sdt 0912345678."))
        return
    changed = await store.correct_phone(services(context), update.effective_user, phone)
    if changed:
        await _say(update, _("Đã sửa số điện thoại thành {phone}.").format(phone=phone))
    else:
        await _say(
            update, _("Bạn chưa có yêu cầu liên hệ nào đang mở, nên không có số nào để sửa.")
        )


async def improve_request(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/cai_thien: a separate consent (one purpose) to learn from messages the bot missed."""
    _ = _t(update, context)
    await _say(
        update,
        _(
            "Bạn có đồng ý để đội phát triển đọc những câu bạn nhắn mà mình chưa hiểu, nhằm dạy "
            "mình hiểu tốt hơn? Số điện thoại, tên, ngày sinh, số nhà và các dãy số được che trước "
            "khi đọc; chỉ dùng cho mục đích này. Bạn rút lại bất cứ lúc nào bằng /cai_thien."
        ),
        _kb([[(_("✅ Đồng ý"), "improve:yes"), (_("Không / rút lại"), "improve:no")]]),
    )


async def improve_button(update: Update, context: ContextTypes.DEFAULT_TYPE, value: str) -> None:
    _ = _t(update, context)
    svc = services(context)
    if value == "yes":
        await store.record_consent(
            svc, update.effective_user, IMPROVE_PURPOSE, IMPROVE_TEXT_VERSION
        )
        await _say(update, _("Cảm ơn bạn! Mình đã ghi nhận sự đồng ý."))
    elif value == "no":
        await store.withdraw_consent(svc, update.effective_user, IMPROVE_PURPOSE)
        await _say(update, _("Đã ghi nhận: câu bạn nhắn sẽ không được dùng để cải thiện bot."))


async def my_data(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    _ = _t(update, context)
    await _say(
        update, await store.describe_person_data(services(context), update.effective_user, _)
    )


async def delete_request(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    _ = _t(update, context)
    _set_step(context, CONFIRM_DELETE)
    await _say(
        update,
        _(
            "Bạn muốn xóa toàn bộ dữ liệu cá nhân mình đang giữ (số điện thoại, yêu cầu liên hệ, "
            "tin nhắn đã lưu, đăng ký nhận tin)? Việc này không hoàn tác được."
        ),
        _kb([[(_("🗑 Xóa dữ liệu của tôi"), "delete:yes"), (_("Không"), "delete:no")]]),
    )


async def delete_button(update: Update, context: ContextTypes.DEFAULT_TYPE, value: str) -> None:
    if _chat_data(context).get("step") != CONFIRM_DELETE:
        return
    if value == "yes":
        await delete_confirmed(update, context)
    else:
        await deny(update, context)


async def delete_confirmed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    _ = _t(update, context)
    await store.delete_person_data(services(context), update.effective_user)
    _chat_data(context).clear()
    _user_data(context).clear()
    await _say(update, _("Đã xóa dữ liệu cá nhân của bạn. Cảm ơn bạn đã dùng dịch vụ."))


# --- everything that is not text ----------------------------------------------------------------
async def unsupported(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    _ = _t(update, context)
    await _say(
        update,
        _("Mình chỉ đọc được tin nhắn chữ. Bạn gõ câu hỏi về BHYT, hoặc chọn bên dưới:"),
        main_menu(_),
    )


async def inform(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Bare facts: continue the quote if we have enough, else ask what they want."""
    _ = _t(update, context)
    hh = _household(context)
    if hh.location_text and await _resolve_location(update, context, "quote") != RESOLVED:
        return
    if hh.can_quote():
        await send_quote(update, context)
    else:
        await _say(update, _("Cảm ơn bạn. Bạn muốn mình giúp gì với thông tin này?"), main_menu(_))


INTENT_HANDLERS = {
    "greet": greet,
    "goodbye": goodbye,
    "thank": thank,
    "affirm": affirm,
    "deny": deny,
    "bot_challenge": bot_challenge,
    "out_of_scope": out_of_scope,
    "ask_cost": ask_cost,
    "ask_eligibility": ask_eligibility,
    "ask_where_to_buy": ask_where_to_buy,
    "ask_benefits": ask_benefits,
    "ask_card_validity": ask_card_validity,
    "ask_documents": ask_documents,
    "request_contact": request_contact,
    "unsubscribe": unsubscribe,
    "inform": inform,
}

# The step we wait on (None: none) -> its handler; True: the text was its answer.
STEP_TEXT_HANDLERS: dict[
    str | None, Callable[[Update, ContextTypes.DEFAULT_TYPE, str], Awaitable[bool]]
] = {
    ASK_SIZE: size_text,
    ASK_PLACE: place_text,
    ASK_COMMUNE: place_text,
    PHONE: phone_text,
    ASK_AGE: age_text,
}

BUTTON_HANDLERS = {
    "menu": menu_button,
    "size": size_button,
    "months": months_button,
    "quote": quote_button,
    "place": place_button,
    "topic": topic_button,
    "consent": consent_button,
    "basis": basis_button,
    "delete": delete_button,
    "clarify": clarify_button,
    "fix": fix_button,
    "improve": improve_button,
}


CONTINUATIONS = {
    "quote": ask_cost,
    "lead": save_lead,
    "subscribe": subscribe,
    "eligibility": ask_eligibility,
    "where": ask_where_to_buy,
}

BUTTON_PATTERN = r"^(" + "|".join(BUTTON_HANDLERS) + "):"
