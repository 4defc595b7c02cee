"""Collection-agent handlers (issue 7). Registered before the citizen handlers.

Thin: each handler reads the Telegram update, calls one `db.followup` service through
`svc.db.acall`, and renders with `bot.agent.texts`. Lifecycle: lead.mmd beside this file.
Commands: /leads (my open leads), /lead N (one lead with its history), /thongke (my figures).
Buttons: `ag:<action>:<lead>[:<value>]`. Typed answers (a decline reason, a card end date) are
taken only while `user_data["agent_await"]` says we asked for one.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.agent import notify, texts
from bot.i18n import Gettext, gettext_for
from bot.runtime import Services, services
from db import followup
from db.errors import DataError, InvalidTransition, NotFound, PermissionDenied
from db.followup import Viewer
from db.models import utcnow

log = logging.getLogger(__name__)

AWAIT = "agent_await"  # user_data key: ("decline" | "end", lead id)
DATE_RE = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})\s*$")
MONTHS_RE = re.compile(r"^\s*(\d{1,2})\s*(tháng|thang)?\s*$", re.IGNORECASE)


def _today(svc: Services) -> date:
    return followup.local_today(utcnow(), svc.settings.timezone)


async def _viewer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Viewer | None:
    user = update.effective_user
    if user is None:
        return None
    return await services(context).db.acall(followup.viewer, user.id)


def _t(v: Viewer | None, update: Update) -> Gettext:
    if v is not None:
        return gettext_for(v.locale)
    return gettext_for(update.effective_user.language_code if update.effective_user else None)


async def _reply(update: Update, text: str, markup=None) -> None:
    assert update.effective_chat is not None
    await update.effective_chat.send_message(text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def _edit(update: Update, text: str, markup=None) -> None:
    query = update.callback_query
    assert query is not None
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    except BadRequest as exc:  # "message is not modified" after a double press
        log.info("edit skipped: %s", exc)


# --- commands ---------------------------------------------------------------------------------


async def leads_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    v = await _viewer(update, context)
    _ = _t(v, update)
    if v is None or not v.is_agent:
        await _reply(update, _("Lệnh này dành cho đại lý thu BHYT."))
        return
    svc = services(context)
    cards = await svc.db.acall(followup.open_leads, v.person_id)
    await _reply(update, texts.leads_list_text(_, cards, svc.settings.timezone))


async def lead_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    v = await _viewer(update, context)
    _ = _t(v, update)
    args = context.args or []
    if not args or not args[0].lstrip("#").isdigit():
        await _reply(update, _("Gõ /lead kèm số yêu cầu, ví dụ: /lead 12"))
        return
    lead_id = int(args[0].lstrip("#"))
    svc = services(context)
    detail = (
        await svc.db.acall(followup.lead_detail, lead_id, v.person_id) if v is not None else None
    )
    if detail is None:  # same answer for "no such lead" and "not yours to see"
        await _reply(update, _("Không tìm thấy yêu cầu số {id}.").format(id=lead_id))
        return
    markup = None
    if detail.viewer_is_owner:
        markup = texts.outcome_keyboard(_, detail.card)
    elif detail.viewer_is_agent and detail.card.status == "new":
        markup = texts.offer_keyboard(_, lead_id)
    await _reply(update, texts.detail_text(_, detail, svc.settings.timezone), markup)


async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    v = await _viewer(update, context)
    _ = _t(v, update)
    if v is None or not v.is_agent:
        await _reply(update, _("Lệnh này dành cho đại lý thu BHYT."))
        return
    svc = services(context)
    this, last = await svc.db.acall(followup.monthly_stats, v.person_id, _today(svc))
    await _reply(update, texts.stats_text(_, this, last))


# --- buttons --------------------------------------------------------------------------------------


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    parts = query.data.split(":")
    action, lead_id, value = parts[1], int(parts[2]), (parts[3] if len(parts) > 3 else "")
    v = await _viewer(update, context)
    _ = _t(v, update)
    if context.user_data is not None:
        context.user_data.pop(AWAIT, None)
    if v is None or not v.is_agent:
        await query.answer(_("Chỉ đại lý thu của xã/phường mới dùng được nút này."))
        return
    handler = BUTTONS.get(action)
    if handler is None:
        await query.answer()
        return
    try:
        await handler(update, context, v, lead_id, value)
    except PermissionDenied:
        await query.answer(_("Bạn không giữ yêu cầu này."), show_alert=True)
    except InvalidTransition:
        await query.answer(_("Yêu cầu này đã ở trạng thái khác, xem /lead {id}").format(id=lead_id))
    except NotFound:
        await query.answer(_("Không tìm thấy yêu cầu số {id}.").format(id=lead_id))


async def claim_button(update, context, v: Viewer, lead_id: int, _value: str) -> None:
    query = update.callback_query
    svc = services(context)
    _ = gettext_for(v.locale)
    msg = query.message
    outcome = await svc.db.acall(
        followup.claim,
        lead_id,
        v.person_id,
        msg.chat.id if msg else None,
        msg.message_id if msg else None,
    )
    if not outcome.won:
        await query.answer(texts.lost_text(_, outcome.card).replace("<b>", "").replace("</b>", ""))
        await _edit(update, texts.lost_text(_, outcome.card))
        return
    await query.answer(_("Bạn đã nhận yêu cầu số {id}.").format(id=lead_id))
    await _edit(
        update, texts.claimed_text(_, outcome.card), texts.outcome_keyboard(_, outcome.card)
    )
    # The other agents' offers now say who took it; then the citizen hears who will call.
    closings = await svc.db.acall(followup.pending_closes, lead_id)
    await notify.edit_closings(context.bot, svc, closings)
    if outcome.citizen_notice is not None:
        await notify.send_outgoing(context.bot, svc, [outcome.citizen_notice])


async def skip_button(update, context, v: Viewer, lead_id: int, _value: str) -> None:
    query = update.callback_query
    _ = gettext_for(v.locale)
    assert query.message is not None
    await services(context).db.acall(followup.skip, lead_id, query.message.chat.id)
    await query.answer()
    await _edit(
        update,
        _("Bạn đã bỏ qua yêu cầu số {id}. Nếu đổi ý: /lead {id}").format(id=lead_id),
    )


async def _record(update, context, v: Viewer, lead_id: int, status: str, cards=None, note=None):
    svc = services(context)
    c = await svc.db.acall(
        followup.record,
        lead_id,
        v.person_id,
        status,
        cards,
        note,
        _today(svc),
        svc.settings.renewal_default_months,
        svc.settings.renewal_remind_days,
    )
    return c


async def outcome_button(update, context, v: Viewer, lead_id: int, value: str) -> None:
    if value not in ("contacted", "unreachable"):
        return
    _ = gettext_for(v.locale)
    c = await _record(update, context, v, lead_id, value)
    await update.callback_query.answer(_("Đã ghi nhận."))
    await _edit(update, texts.owner_card_text(_, c), texts.outcome_keyboard(_, c))


async def enrolled_button(update, context, v: Viewer, lead_id: int, _value: str) -> None:
    _ = gettext_for(v.locale)
    await update.callback_query.answer()
    await _edit(
        update,
        _("Yêu cầu số {id}: hộ đã tham gia mấy thẻ BHYT?").format(id=lead_id),
        texts.cards_keyboard(_, lead_id),
    )


async def cards_button(update, context, v: Viewer, lead_id: int, value: str) -> None:
    _ = gettext_for(v.locale)
    svc = services(context)
    n = int(value)
    c = await _record(update, context, v, lead_id, "enrolled", n)
    await update.callback_query.answer(_("Đã ghi nhận {n} thẻ.").format(n=n))
    await _edit(update, texts.owner_card_text(_, c))
    default_end = followup.add_months(_today(svc), svc.settings.renewal_default_months)
    context.user_data[AWAIT] = ("end", lead_id)
    await _reply(
        update, texts.renewal_ask_text(_, lead_id, default_end), texts.renewal_keyboard(_, lead_id)
    )


async def decline_button(update, context, v: Viewer, lead_id: int, _value: str) -> None:
    _ = gettext_for(v.locale)
    await update.callback_query.answer()
    context.user_data[AWAIT] = ("decline", lead_id)
    await _edit(
        update,
        _("Yêu cầu số {id}: người dân từ chối vì sao? Chọn bên dưới hoặc gõ lý do.").format(
            id=lead_id
        ),
        texts.decline_keyboard(_, lead_id),
    )


async def reason_button(update, context, v: Viewer, lead_id: int, value: str) -> None:
    _ = gettext_for(v.locale)
    if value == "other":
        context.user_data[AWAIT] = ("decline", lead_id)
        await update.callback_query.answer()
        await _edit(update, _("Bạn gõ lý do từ chối của yêu cầu số {id}:").format(id=lead_id))
        return
    c = await _record(update, context, v, lead_id, "declined", note=texts.decline_reason(_, value))
    await update.callback_query.answer(_("Đã ghi nhận."))
    await _edit(update, texts.owner_card_text(_, c, texts.decline_reason(_, value)))


async def back_button(update, context, v: Viewer, lead_id: int, _value: str) -> None:
    _ = gettext_for(v.locale)
    svc = services(context)
    detail = await svc.db.acall(followup.lead_detail, lead_id, v.person_id)
    await update.callback_query.answer()
    if detail is not None and detail.viewer_is_owner:
        await _edit(
            update, texts.owner_card_text(_, detail.card), texts.outcome_keyboard(_, detail.card)
        )


async def release_button(update, context, v: Viewer, lead_id: int, _value: str) -> None:
    _ = gettext_for(v.locale)
    done = await services(context).db.acall(
        followup.release, lead_id, v.person_id, "đại lý trả lại"
    )
    await update.callback_query.answer()
    if done:
        await _edit(
            update,
            _("↩️ Bạn đã trả lại yêu cầu số {id}; các đại lý khác sẽ được báo.").format(id=lead_id),
        )


async def end_button(update, context, v: Viewer, lead_id: int, value: str) -> None:
    svc = services(context)
    end = followup.add_months(_today(svc), int(value))
    await update.callback_query.answer()
    await _schedule(update, context, v, lead_id, end, edit=True)


async def _schedule(update, context, v: Viewer, lead_id: int, end: date, edit: bool) -> None:
    _ = gettext_for(v.locale)
    svc = services(context)
    try:
        due = await svc.db.acall(
            followup.schedule_renewal,
            lead_id,
            v.person_id,
            end,
            _today(svc),
            svc.settings.renewal_remind_days,
        )
    except InvalidTransition:
        await _reply(update, _("Ngày hết hạn phải sau hôm nay. Bạn gõ lại, ví dụ 31/12/2027."))
        context.user_data[AWAIT] = ("end", lead_id)
        return
    days = ", ".join(d.strftime("%d/%m/%Y") for _k, d in due) or _("không còn ngày nhắc nào")
    text = _("Đã đặt: thẻ của yêu cầu số {id} hết hạn {end}; nhắc gia hạn ngày {days}.").format(
        id=lead_id, end=end.strftime("%d/%m/%Y"), days=days
    )
    await (_edit(update, text) if edit else _reply(update, text))


BUTTONS = {
    "claim": claim_button,
    "skip": skip_button,
    "out": outcome_button,
    "enr": enrolled_button,
    "cards": cards_button,
    "dec": decline_button,
    "why": reason_button,
    "back": back_button,
    "rel": release_button,
    "end": end_button,
}


# --- typed answers --------------------------------------------------------------------------------


async def on_awaited_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    msg = update.effective_message
    assert msg is not None and msg.text is not None
    assert context.user_data is not None
    kind, lead_id = context.user_data.pop(AWAIT)
    v = await _viewer(update, context)
    _ = _t(v, update)
    if v is None:
        return
    try:
        if kind == "decline":
            c = await _record(update, context, v, lead_id, "declined", note=msg.text.strip()[:300])
            await _reply(update, texts.owner_card_text(_, c, _e_note(msg.text)))
            return
        end = _parse_end(msg.text, _today(services(context)))
        if end is None:  # not a date: keep the default and let the text go unanswered
            await _reply(
                update,
                _(
                    "Mình chưa hiểu ngày hết hạn nên giữ mặc định. Muốn đổi, bấm số tháng ở tin "
                    "trên hoặc gõ /lead {id}."
                ).format(id=lead_id),
            )
            return
        await _schedule(update, context, v, lead_id, end, edit=False)
    except (PermissionDenied, InvalidTransition, NotFound):
        await _reply(
            update, _("Yêu cầu này đã ở trạng thái khác, xem /lead {id}").format(id=lead_id)
        )
    except DataError:
        log.exception("agent typed answer failed")


def _e_note(text: str) -> str:
    import html

    return html.escape(text.strip()[:300])


def _parse_end(text: str, today: date) -> date | None:
    m = DATE_RE.match(text)
    if m:
        try:
            return datetime(int(m.group(3)), int(m.group(2)), int(m.group(1))).date()
        except ValueError:
            return None
    m = MONTHS_RE.match(text)
    if m and 1 <= int(m.group(1)) <= 24:
        return followup.add_months(today, int(m.group(1)))
    return None


class _Awaiting(filters.MessageFilter):
    """Text from a user we asked a question (reads the application's user_data)."""

    def __init__(self, app: Application):
        super().__init__(name="agent_awaiting")
        self.app = app

    def filter(self, message) -> bool:
        user = message.from_user
        return user is not None and AWAIT in self.app.user_data.get(user.id, {})


def add_agent_handlers(app: Application) -> None:
    svc: Services = app.bot_data["services"]
    app.add_handler(CommandHandler("leads", leads_command))
    app.add_handler(CommandHandler("lead", lead_command))
    app.add_handler(CommandHandler("thongke", stats_command))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^ag:[a-z]+:\d+(:[\w]+)?$"))
    app.add_handler(
        MessageHandler(filters.TEXT & ~filters.COMMAND & _Awaiting(app), on_awaited_text)
    )
    notify.install(app, svc)
