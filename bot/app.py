"""Build the python-telegram-bot Application: handlers per role, guards first."""

from __future__ import annotations

import logging
import time
from collections import defaultdict, deque

from telegram import BotCommand, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.agent.handlers import add_agent_handlers
from bot.cadre.handlers import add_cadre_handlers
from bot.citizen import handlers as citizen
from bot.concurrency import ChatOrderedUpdateProcessor, ChatRateLimiter
from bot.config import Settings
from bot.i18n import gettext_for
from bot.runtime import Services

log = logging.getLogger(__name__)


class FloodGuard:
    """Per-user sliding window; a person over the limit is told once, then ignored for a while."""

    def __init__(self, max_messages: int, window_s: float):
        self.max_messages = max_messages
        self.window_s = window_s
        self.seen: dict[int, deque[float]] = defaultdict(deque)

    def allow(self, user_id: int, now: float | None = None) -> tuple[bool, bool]:
        """Returns (allowed, first_refusal)."""
        now = time.monotonic() if now is None else now
        q = self.seen[user_id]
        while q and now - q[0] > self.window_s:
            q.popleft()
        q.append(now)
        over = len(q) - self.max_messages
        return over <= 0, over == 1


async def guard(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs before every handler: flood limit and message size limit."""
    svc: Services = context.application.bot_data["services"]
    user = update.effective_user
    msg = update.effective_message
    if user is None or msg is None or update.callback_query is not None:
        return
    flood: FloodGuard = context.application.bot_data["flood"]
    allowed, first_refusal = flood.allow(user.id)
    _ = gettext_for(user.language_code)
    if not allowed:
        if first_refusal:
            await msg.reply_text(
                _("Bạn nhắn hơi nhanh, mình xin phép trả lời chậm lại một chút nhé.")
            )
        raise ApplicationHandlerStop
    text = msg.text or msg.caption or ""
    if len(text) > svc.settings.max_message_chars:
        await msg.reply_text(
            _(
                "Tin nhắn dài quá ({n} ký tự). Bạn hỏi ngắn gọn trong vài câu (dưới {limit} ký tự) "
                "giúp mình nhé."
            ).format(n=len(text), limit=svc.settings.max_message_chars)
        )
        raise ApplicationHandlerStop


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("handler failed", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat:
        _ = gettext_for(update.effective_user.language_code if update.effective_user else None)
        try:
            await update.effective_chat.send_message(
                _("Xin lỗi, mình gặp lỗi khi xử lý. Bạn thử lại hoặc gõ /menu nhé.")
            )
        except Exception:  # the error may be the connection itself
            log.warning("could not tell the user about the error", exc_info=True)


COMMANDS = [
    ("start", "Bắt đầu"),
    ("menu", "Các câu hỏi thường gặp"),
    ("nhan_tin", "Đăng ký nhận tin BHYT của xã/phường"),
    ("huy_nhan_tin", "Hủy nhận tin"),
    ("du_lieu_cua_toi", "Xem dữ liệu của tôi"),
    ("xoa_du_lieu", "Xóa dữ liệu của tôi"),
    ("sua_sdt", "Sửa số điện thoại đã gửi"),
    ("cai_thien", "Cho phép dùng câu chưa hiểu để cải thiện bot"),
]


async def post_init(app: Application) -> None:
    try:
        await app.bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS])
    except Exception:  # not fatal: the bot works without the command menu
        log.warning("setMyCommands failed", exc_info=True)


async def post_shutdown(app: Application) -> None:
    svc: Services | None = app.bot_data.get("services")
    if svc is not None:
        await svc.nlu.aclose()


def rate_limiter(settings: Settings):
    """ChatRateLimiter by default: each chat at 1/s and one global budget that broadcasts share
    (replies first; python-telegram-bot #3772 and #3689). RATE_LIMITER=aio: PTB's
    AIORateLimiter, which does not pace private chats (kept for comparison, bench.load)."""
    if settings.rate_limiter == "aio":
        return AIORateLimiter(overall_max_rate=settings.telegram_global_rate, max_retries=3)
    return ChatRateLimiter(overall_rate=settings.telegram_global_rate)


def build_application(settings: Settings, svc: Services) -> Application:
    builder: ApplicationBuilder = (
        ApplicationBuilder()
        .token(settings.telegram_token or "0:sandbox")
        .rate_limiter(rate_limiter(settings))
        .connection_pool_size(settings.bot_http_pool)
        .pool_timeout(10.0)  # waiting for a free connection is queueing, not a failure
        .concurrent_updates(ChatOrderedUpdateProcessor(64))  # per-chat order, chats in parallel
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if settings.bot_api_base_url:
        base = settings.bot_api_base_url.rstrip("/")
        builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
    app = builder.build()
    app.bot_data["services"] = svc
    app.bot_data["flood"] = FloodGuard(settings.flood_max_messages, settings.flood_window_s)

    app.add_handler(TypeHandler(Update, guard), group=-1)
    # Role handlers first: the citizen text handler takes whatever nobody else wanted.
    add_agent_handlers(app)
    add_cadre_handlers(app)
    add_citizen_handlers(app)
    app.add_error_handler(on_error)
    return app


def add_citizen_handlers(app: Application) -> None:
    app.add_handler(CommandHandler("start", citizen.start))
    app.add_handler(CommandHandler(["menu", "help"], citizen.menu))
    app.add_handler(CommandHandler("nhan_tin", citizen.subscribe))
    app.add_handler(CommandHandler(["huy_nhan_tin", "stop"], citizen.unsubscribe))
    app.add_handler(CommandHandler("du_lieu_cua_toi", citizen.my_data))
    app.add_handler(CommandHandler("xoa_du_lieu", citizen.delete_request))
    app.add_handler(CommandHandler("cai_thien", citizen.improve_request))
    app.add_handler(CommandHandler("sua_sdt", citizen.fix_phone))
    app.add_handler(CallbackQueryHandler(citizen.on_button, pattern=citizen.BUTTON_PATTERN))
    app.add_handler(MessageHandler(filters.CONTACT, citizen.on_contact))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, citizen.on_text))
    app.add_handler(MessageHandler(~filters.TEXT & ~filters.StatusUpdate.ALL, citizen.unsupported))
