"""Cadre handlers (issue 8). Registered before the citizen handlers.

/broadcast: compose a campaign message (template or own text, optional photo, optional button
to the quote flow), choose communes and language, preview with the recipient count, then send
now or at a time (HH:MM or dd/mm HH:MM, Vietnam time). Conversation: broadcast.mmd beside this
file. Sending happens in bot.broadcast (its own task), never in a handler.
/huy_tin N or the "⏹ Dừng gửi" button: stop a broadcast. /baocao: the weekly report (text,
PNG chart, XLSX); also sent by itself every week before the Wednesday reporting deadline.
A CSV/XLSX sent with the caption /chitieu (coverage targets, seed-002 table) or /solieu
(insured counts) is imported with db.coverage (refused whole if it touches other communes).
Buttons: `bc:*` (compose), `unsub:<broadcast>` (recipients), `bcstop:<broadcast>` (progress).
"""

from __future__ import annotations

import asyncio
import logging
import re
import tempfile
import warnings
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.broadcast import service as bc_service
from bot.broadcast.progress import STOP_PREFIX
from bot.broadcast.render import CALLBACK_PREFIX, UNSUB_PREFIX, render
from bot.cadre import data, templates
from bot.cadre.report_files import chart_png, summary_text, workbook_xlsx
from bot.i18n import Gettext, gettext_for
from bot.runtime import Services, services
from db import broadcasts as db_bc
from db.errors import DataError
from db.models import utcnow
from db.tables import FileFormatError

log = logging.getLogger(__name__)

COMPOSE, PHOTO, BUTTON, AUDIENCE, LANGUAGE, CONFIRM, SCHEDULE = range(7)
KEY = "cadre_broadcast"  # user_data: the message being composed
MAX_CAPTION = 1024
REPORT_JOB = "cadre-weekly-report"
HHMM = re.compile(r"^\s*(\d{1,2})\s*[:hg.]\s*(\d{2})\s*$", re.IGNORECASE)
DDMM_HHMM = re.compile(
    r"^\s*(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{4}))?\s+(\d{1,2})\s*[:hg.]\s*(\d{2})\s*$",
    re.IGNORECASE,
)
LANG_NAMES = {None: "Mọi ngôn ngữ", "vi": "Tiếng Việt", "en": "English"}


# --- helpers -------------------------------------------------------------------------------


def parse_when(text: str, now: datetime) -> datetime | None:
    """'19:30' -> today (tomorrow when already past), '28/11 08:00' -> that day this year;
    `now` is local and aware; the result is local and aware, or None when unreadable."""
    tz = now.tzinfo
    if m := HHMM.match(text):
        hh, mm = int(m.group(1)), int(m.group(2))
        if hh > 23 or mm > 59:
            return None
        at = now.replace(hour=hh, minute=mm, second=0, microsecond=0)
        return at if at > now else at + timedelta(days=1)
    if m := DDMM_HHMM.match(text):
        day, month = int(m.group(1)), int(m.group(2))
        year = int(m.group(3)) if m.group(3) else now.year
        try:
            return datetime(year, month, day, int(m.group(4)), int(m.group(5)), tzinfo=tz)
        except ValueError:
            return None
    return None


def kb(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=d) for label, d in row] for row in rows]
    )


def _tz(svc: Services) -> ZoneInfo:
    return ZoneInfo(svc.settings.timezone)


async def _scope(update: Update, context: ContextTypes.DEFAULT_TYPE) -> data.Scope | None:
    user = update.effective_user
    if user is None:
        return None
    return await services(context).db.acall(data.cadre_scope, user.id)


def _t(scope: data.Scope | None, update: Update) -> Gettext:
    if scope is not None:
        return gettext_for(scope.locale)
    user = update.effective_user
    return gettext_for(user.language_code if user else None)


async def _say(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    assert update.effective_chat is not None
    await update.effective_chat.send_message(text, reply_markup=markup)


async def _answer(update: Update, text: str | None = None) -> None:
    if update.callback_query is not None:
        try:
            await update.callback_query.answer(text)
        except TelegramError:  # an old query: the answer is a courtesy
            log.debug("answerCallbackQuery failed", exc_info=True)


def _state(context: ContextTypes.DEFAULT_TYPE) -> dict:
    return context.user_data.setdefault(KEY, {})  # type: ignore[union-attr]


def _places(st: dict) -> str:
    scope: data.Scope = st["scope"]
    chosen = st.get("communes") or scope.commune_ids
    names = dict(scope.communes)
    return ", ".join(names.get(c, str(c)) for c in chosen)


# --- /broadcast conversation --------------------------------------------------------------


async def broadcast_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    scope = await _scope(update, context)
    _ = _t(scope, update)
    if scope is None:
        await _say(
            update,
            _(
                "Lệnh /broadcast chỉ dành cho cán bộ xã/phường. Nếu bạn là cán bộ, hãy nhờ "
                "quản trị viên cấp quyền."
            ),
        )
        return ConversationHandler.END
    context.user_data[KEY] = {"scope": scope}  # type: ignore[index]
    rows = [[(_(t.title), f"bc:tpl:{t.key}")] for t in templates.TEMPLATES]
    rows.append([(_("❌ Hủy"), "bc:cancel")])
    await _say(
        update,
        _(
            "✍️ Soạn tin gửi người dân đã đăng ký nhận tin của {places}.\n"
            "Chọn một mẫu tin của tháng vận động, hoặc gõ nội dung tin "
            "(có thể gửi ảnh kèm chú thích)."
        ).format(places=", ".join(n for _c, n in scope.communes)),
        kb(rows),
    )
    return COMPOSE


async def compose_template(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await _answer(update)
    st = _state(context)
    scope: data.Scope = st["scope"]
    _ = gettext_for(scope.locale)
    key = update.callback_query.data.split(":")[2]  # type: ignore[union-attr]
    tpl = templates.BY_KEY.get(key)
    if tpl is None:
        return COMPOSE
    svc = services(context)
    today = utcnow().astimezone(_tz(svc)).date()
    amount = await asyncio.to_thread(
        templates.first_member_amount, svc.rules, scope.province_slug, today
    )
    st["text"] = templates.fill(_, tpl, amount)
    return await _ask_photo(update, context)


async def compose_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    st = _state(context)
    st["text"] = update.effective_message.text.strip()  # type: ignore[union-attr]
    return await _ask_photo(update, context)


async def compose_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    st = _state(context)
    _ = gettext_for(st["scope"].locale)
    msg = update.effective_message
    assert msg is not None and msg.photo
    st["photo"] = msg.photo[-1].file_id
    if msg.caption:
        st["text"] = msg.caption.strip()
        return await _ask_button(update, context)
    await _say(update, _("Đã nhận ảnh. Gõ nội dung tin (chú thích cho ảnh)."))
    return COMPOSE


async def _ask_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    st = _state(context)
    _ = gettext_for(st["scope"].locale)
    if st.get("photo"):
        return await _ask_button(update, context)
    await _say(
        update,
        _("Gửi kèm một ảnh (nếu muốn), hoặc bấm Bỏ qua."),
        kb([[(_("⏭ Bỏ qua"), "bc:nophoto")], [(_("❌ Hủy"), "bc:cancel")]]),
    )
    return PHOTO


async def photo_received(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    st = _state(context)
    msg = update.effective_message
    assert msg is not None and msg.photo
    st["photo"] = msg.photo[-1].file_id
    return await _ask_button(update, context)


async def photo_skipped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await _answer(update)
    return await _ask_button(update, context)


async def _ask_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    st = _state(context)
    _ = gettext_for(st["scope"].locale)
    if st.get("photo") and len(st.get("text", "")) > MAX_CAPTION:
        await _say(
            update,
            _("Tin kèm ảnh chỉ được tối đa {n} ký tự. Gõ lại nội dung ngắn hơn.").format(
                n=MAX_CAPTION
            ),
        )
        return COMPOSE
    await _say(
        update,
        _("Thêm nút cho người nhận?"),
        kb(
            [
                [(_("💰 Nút “Tính tiền BHYT”"), "bc:btn:cost")],
                [(_("🔗 Liên kết mở trợ lý BHYT"), "bc:btn:link")],
                [(_("Không thêm nút"), "bc:btn:none")],
            ]
        ),
    )
    return BUTTON


async def button_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await _answer(update)
    st = _state(context)
    _ = gettext_for(st["scope"].locale)
    choice = update.callback_query.data.split(":")[2]  # type: ignore[union-attr]
    if choice == "cost":
        st["button_text"], st["button_url"] = (
            _("💰 Tính tiền BHYT"),
            CALLBACK_PREFIX + "menu:ask_cost",
        )
    elif choice == "link":
        username = context.bot.username
        st["button_text"] = _("🤖 Hỏi trợ lý BHYT")
        st["button_url"] = f"https://t.me/{username}?start=campaign"
    else:
        st["button_text"] = st["button_url"] = None
    return await _ask_audience(update, context)


async def _ask_audience(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    st = _state(context)
    scope: data.Scope = st["scope"]
    _ = gettext_for(scope.locale)
    if len(scope.communes) == 1:
        st["communes"] = scope.commune_ids
        return await _ask_language(update, context)
    rows = [[(_("Tất cả xã/phường của tôi ({n})").format(n=len(scope.communes)), "bc:aud:all")]]
    rows += [[(name, f"bc:aud:{cid}")] for cid, name in scope.communes]
    await _say(update, _("Gửi cho người dân ở đâu?"), kb(rows))
    return AUDIENCE


async def audience_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await _answer(update)
    st = _state(context)
    scope: data.Scope = st["scope"]
    value = update.callback_query.data.split(":")[2]  # type: ignore[union-attr]
    if value == "all":
        st["communes"] = scope.commune_ids
    elif value.isdigit() and int(value) in scope.commune_ids:
        st["communes"] = [int(value)]
    else:  # not one of theirs (a forged button): ask again
        return await _ask_audience(update, context)
    return await _ask_language(update, context)


async def _ask_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    _ = gettext_for(_state(context)["scope"].locale)
    await _say(
        update,
        _("Gửi cho người dùng ngôn ngữ nào?"),
        kb(
            [
                [(_("Mọi ngôn ngữ"), "bc:lang:all")],
                [("Tiếng Việt", "bc:lang:vi"), ("English", "bc:lang:en")],
            ]
        ),
    )
    return LANGUAGE


async def language_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await _answer(update)
    st = _state(context)
    value = update.callback_query.data.split(":")[2]  # type: ignore[union-attr]
    st["language"] = value if value in ("vi", "en") else None
    return await _preview(update, context)


async def _preview(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    st = _state(context)
    scope: data.Scope = st["scope"]
    _ = gettext_for(scope.locale)
    b, n = await services(context).db.acall(
        data.create_draft,
        scope.person_id,
        st["text"],
        st["communes"],
        st.get("photo"),
        st.get("button_text"),
        st.get("button_url"),
        st.get("language"),
    )
    st["broadcast_id"], st["count"] = b.id, n
    r = render(b.id, b.text, b.photo_file_id, b.button_text, b.button_url, b.language)
    chat = update.effective_chat
    assert chat is not None
    if r.photo:
        await chat.send_photo(r.photo, caption=r.text, reply_markup=r.markup)
    else:
        await chat.send_message(r.text, reply_markup=r.markup)
    lang = _(LANG_NAMES[st.get("language")])
    await _say(
        update,
        _(
            "👆 Bản xem trước tin #{id}.\n"
            "Sẽ gửi tới {n} người đăng ký nhận tin ở {places} (ngôn ngữ: {lang}).\n"
            "Gửi ngay hay hẹn giờ?"
        ).format(id=b.id, n=n, places=_places(st), lang=lang),
        kb(
            [
                [(_("✅ Gửi ngay"), "bc:send:now"), (_("🕒 Hẹn giờ"), "bc:send:later")],
                [(_("❌ Hủy"), "bc:cancel")],
            ]
        ),
    )
    return CONFIRM


async def send_now(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await _answer(update)
    st = context.user_data.pop(KEY, {})  # type: ignore[union-attr]
    _ = gettext_for(st["scope"].locale)
    bid = st["broadcast_id"]
    svc = services(context)
    await svc.db.acall(data.send_now, bid, utcnow())
    context.application.bot_data[bc_service.KEY].start(bid)
    await _say(
        update,
        _("🚀 Bắt đầu gửi tin #{id} tới {n} người. Tiến độ hiện ở tin nhắn tiếp theo.").format(
            id=bid, n=st["count"]
        ),
    )
    return ConversationHandler.END


async def send_later(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await _answer(update)
    _ = gettext_for(_state(context)["scope"].locale)
    await _say(
        update,
        _(
            "Gõ giờ gửi (giờ Việt Nam): HH:MM, ví dụ 19:30 (hôm nay, hoặc ngày mai nếu đã qua), "
            "hoặc dd/mm HH:MM, ví dụ 28/11 08:00."
        ),
    )
    return SCHEDULE


async def schedule_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    st = _state(context)
    _ = gettext_for(st["scope"].locale)
    svc = services(context)
    tz = _tz(svc)
    now = utcnow().astimezone(tz)
    at = parse_when(update.effective_message.text or "", now)  # type: ignore[union-attr]
    if at is None:
        await _say(
            update, _("Mình chưa đọc được giờ. Gõ HH:MM (19:30) hoặc dd/mm HH:MM (28/11 08:00).")
        )
        return SCHEDULE
    if at <= now:
        await _say(update, _("Thời điểm này đã qua. Gõ một thời điểm sắp tới."))
        return SCHEDULE
    bid = st["broadcast_id"]
    await svc.db.acall(db_bc.schedule_broadcast, bid, at.astimezone(ZoneInfo("UTC")))
    context.user_data.pop(KEY, None)  # type: ignore[union-attr]
    await _say(
        update,
        _("🕒 Đã hẹn gửi tin #{id} lúc {when}. Gõ /huy_tin {id} để hủy.").format(
            id=bid, when=f"{at:%H:%M %d/%m/%Y}"
        ),
    )
    return ConversationHandler.END


async def compose_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await _answer(update)
    st = context.user_data.pop(KEY, {})  # type: ignore[union-attr]
    scope = st.get("scope")
    _ = _t(scope, update)
    if st.get("broadcast_id") and update.effective_user:
        await services(context).db.acall(data.cancel, st["broadcast_id"], update.effective_user.id)
    await _say(update, _("Đã hủy soạn tin."))
    return ConversationHandler.END


async def stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    _ = _t(None, update)
    await _answer(update, _("Phiên soạn tin đã kết thúc. Gõ /broadcast để soạn tin mới."))


# --- stopping, unsubscribing ------------------------------------------------------------


async def _stop(update: Update, context: ContextTypes.DEFAULT_TYPE, bid: int) -> str:
    user = update.effective_user
    assert user is not None
    return await services(context).db.acall(data.cancel, bid, user.id)


def _stop_text(_: Gettext, outcome: str, bid: int) -> str:
    return {
        "cancelled": _("Đã dừng tin #{id}. Những người chưa nhận sẽ không nhận được."),
        "not_found": _("Không có tin #{id}."),
        "forbidden": _("Bạn không có quyền dừng tin #{id}."),
        "too_late": _("Tin #{id} đã gửi xong hoặc đã hủy."),
    }[outcome].format(id=bid)


async def cancel_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    scope = await _scope(update, context)
    _ = _t(scope, update)
    args = context.args or []
    if not args or not args[0].isdigit():
        await _say(update, _("Gõ /huy_tin kèm số tin, ví dụ /huy_tin 12."))
        return
    bid = int(args[0])
    await _say(update, _stop_text(_, await _stop(update, context, bid), bid))


async def stop_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    bid = int(query.data[len(STOP_PREFIX) :])
    outcome = await _stop(update, context, bid)
    await _answer(update, _stop_text(_t(None, update), outcome, bid))


async def unsubscribe_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user
    assert user is not None
    _ = _t(None, update)
    query = update.callback_query
    assert query is not None and query.data is not None
    raw = query.data[len(UNSUB_PREFIX) :]
    bid = int(raw) if raw.isdigit() else None
    outcome = await services(context).db.acall(data.unsubscribe_from, user.id, bid)
    if outcome == "preview":
        await _answer(update, _("Đây là bản xem trước: nút này hoạt động khi tin được gửi."))
        return
    await _answer(update)
    await _say(
        update,
        _("🔕 Bạn đã hủy nhận tin BHYT của xã/phường. Gõ /nhan_tin nếu muốn nhận lại.")
        if outcome == "done"
        else _("Bạn hiện không đăng ký nhận tin nào."),
    )


# --- reports -------------------------------------------------------------------------------


async def send_report(bot: Bot, svc: Services, scope: data.Scope, chat_id: int) -> None:
    tz = svc.settings.timezone
    _ = gettext_for(scope.locale)
    end = utcnow()
    start = end - timedelta(days=7)
    year = end.astimezone(ZoneInfo(tz)).year
    report = await svc.db.acall(data.weekly_report, scope.commune_ids, start, end, year)
    png = await asyncio.to_thread(chart_png, _, report, tz)
    xlsx = await asyncio.to_thread(workbook_xlsx, _, report, tz)
    day = end.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d")
    text = summary_text(_, report, tz)
    await bot.send_message(chat_id, text[:4000])
    await bot.send_photo(chat_id, InputFile(png, filename=f"baocao_{day}.png"))
    await bot.send_document(
        chat_id,
        InputFile(xlsx, filename=f"baocao_bhyt_{day}.xlsx"),
        caption=_("Báo cáo tuần (XLSX)"),
    )


async def report_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    scope = await _scope(update, context)
    _ = _t(scope, update)
    chat = update.effective_chat
    assert chat is not None
    if scope is None:
        await _say(update, _("Lệnh /baocao chỉ dành cho cán bộ xã/phường."))
        return
    await send_report(context.bot, services(context), scope, chat.id)


async def weekly_reports(context: ContextTypes.DEFAULT_TYPE) -> None:
    """JobQueue: every cadre gets the week's report before the Wednesday 15:00 deadline."""
    svc = services(context)
    for scope in await svc.db.acall(data.all_cadres):
        try:
            await send_report(context.bot, svc, scope, scope.telegram_id)
        except (TelegramError, DataError):
            log.warning("weekly report to cadre %s failed", scope.person_id, exc_info=True)


# --- coverage imports ----------------------------------------------------------------------

IMPORT_KINDS = {"chitieu": "targets", "solieu": "counts"}
IMPORT_CAPTION = r"^/(chitieu|solieu)(@\w+)?\b"


async def import_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A CSV/XLSX sent with the caption /chitieu (targets, seed-002 table) or /solieu
    (commune, as_of, population, insured): imported with db.coverage, all or nothing when a
    row is outside the cadre's communes."""
    scope = await _scope(update, context)
    _ = _t(scope, update)
    msg = update.effective_message
    assert msg is not None and msg.document is not None and msg.caption
    if scope is None:
        await _say(update, _("Chỉ cán bộ xã/phường mới nhập được chỉ tiêu và số liệu."))
        return
    cmd = msg.caption.split()[0].lstrip("/").split("@")[0].lower()
    kind = IMPORT_KINDS[cmd]
    data_bytes = bytes(await (await msg.document.get_file()).download_as_bytearray())
    name = (msg.document.file_name or "").lower()
    suffix = next(
        (x for x in (".xlsx", ".csv", ".tsv") if name.endswith(x)),
        ".xlsx" if data_bytes[:2] == b"PK" else ".csv",  # XLSX is a zip file
    )
    svc = services(context)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data_bytes)
        try:
            report = await svc.db.acall(
                data.import_coverage, kind, str(path), scope.commune_ids, scope.province_name
            )
        except data.OutsideScope as exc:
            await _say(
                update,
                _(
                    "Không nhập: tệp có xã/phường ngoài phạm vi của bạn ({names}). "
                    "Không dòng nào được ghi."
                ).format(names=", ".join(exc.names)),
            )
            return
        except (FileFormatError, DataError, ValueError) as exc:
            await _say(update, _("Không đọc được tệp: {reason}").format(reason=exc))
            return
    what = _("chỉ tiêu bao phủ") if kind == "targets" else _("số người tham gia")
    lines = [_("Đã nhập {n} dòng {what}.").format(n=report.written, what=what)]
    for err in report.errors[:15]:
        lines.append(_("Dòng {row}: {reason}").format(row=err.row, reason=err.reason))
    if len(report.errors) > 15:
        lines.append(_("… và {n} dòng lỗi khác.").format(n=len(report.errors) - 15))
    await _say(update, "\n".join(lines))


# --- registration --------------------------------------------------------------------------


def conversation() -> ConversationHandler:
    cancel: CallbackQueryHandler[ContextTypes.DEFAULT_TYPE, object] = CallbackQueryHandler(
        compose_cancel, pattern=r"^bc:cancel$"
    )
    with warnings.catch_warnings():  # CallbackQueryHandler with per_message=False is intended
        warnings.simplefilter("ignore", PTBUserWarning)
        return ConversationHandler(
            entry_points=[CommandHandler(["broadcast", "phat_tin"], broadcast_start)],
            states={
                COMPOSE: [
                    cancel,
                    CallbackQueryHandler(compose_template, pattern=r"^bc:tpl:\w+$"),
                    MessageHandler(filters.PHOTO, compose_photo),
                    MessageHandler(filters.TEXT & ~filters.COMMAND, compose_text),
                ],
                PHOTO: [
                    cancel,
                    CallbackQueryHandler(photo_skipped, pattern=r"^bc:nophoto$"),
                    MessageHandler(filters.PHOTO, photo_received),
                ],
                BUTTON: [cancel, CallbackQueryHandler(button_chosen, pattern=r"^bc:btn:\w+$")],
                AUDIENCE: [cancel, CallbackQueryHandler(audience_chosen, pattern=r"^bc:aud:\w+$")],
                LANGUAGE: [cancel, CallbackQueryHandler(language_chosen, pattern=r"^bc:lang:\w+$")],
                CONFIRM: [
                    cancel,
                    CallbackQueryHandler(send_now, pattern=r"^bc:send:now$"),
                    CallbackQueryHandler(send_later, pattern=r"^bc:send:later$"),
                ],
                SCHEDULE: [cancel, MessageHandler(filters.TEXT & ~filters.COMMAND, schedule_text)],
            },
            fallbacks=[CommandHandler(["huy", "cancel"], compose_cancel)],
            conversation_timeout=1800,
            name="cadre-broadcast",
        )


def add_cadre_handlers(app: Application) -> None:
    svc: Services = app.bot_data["services"]
    app.add_handler(conversation())
    app.add_handler(CallbackQueryHandler(stale_button, pattern=r"^bc:"))
    app.add_handler(CallbackQueryHandler(unsubscribe_button, pattern=rf"^{UNSUB_PREFIX}\w+$"))
    app.add_handler(CallbackQueryHandler(stop_button, pattern=rf"^{STOP_PREFIX}\d+$"))
    app.add_handler(CommandHandler("huy_tin", cancel_command))
    app.add_handler(CommandHandler("baocao", report_command))
    app.add_handler(
        MessageHandler(filters.Document.ALL & filters.CaptionRegex(IMPORT_CAPTION), import_document)
    )
    bc_service.install(app, svc.settings, svc.db)
    if app.job_queue is not None:
        hh, _sep, mm = svc.settings.cadre_report_time.partition(":")
        at = time(int(hh), int(mm or 0), tzinfo=ZoneInfo(svc.settings.timezone))
        ptb_day = (svc.settings.cadre_report_weekday + 1) % 7  # PTB: 0 = Sunday
        app.job_queue.run_daily(weekly_reports, at, days=(ptb_day,), name=REPORT_JOB)
