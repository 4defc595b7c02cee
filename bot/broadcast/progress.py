"""The cadre's view of a running broadcast: one message, edited at most every few seconds."""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from bot.broadcast.engine import RunStats
from bot.broadcast.pacing import TokenBucket
from bot.concurrency import SendBudget
from bot.i18n import Gettext, gettext_for

log = logging.getLogger(__name__)

STOP_PREFIX = "bcstop:"


def duration_text(_: Gettext, seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 90:
        return _("{n} giây").format(n=seconds)
    minutes = round(seconds / 60)
    if minutes < 90:
        return _("{n} phút").format(n=minutes)
    return _("{h} giờ {m} phút").format(h=minutes // 60, m=minutes % 60)


def progress_text(
    _: Gettext, broadcast_id: int, counts: dict[str, int], eta_s: float | None
) -> str:
    left = counts["pending"] + counts["sending"]
    lines = [
        _("📤 Đang gửi tin #{id}").format(id=broadcast_id),
        _(
            "Đã gửi: {sent} · Lỗi: {failed} · Chặn bot: {blocked} · Còn lại: {left} / {total}"
        ).format(
            sent=counts["sent"],
            failed=counts["failed"],
            blocked=counts["blocked"],
            left=left,
            total=counts["total"],
        ),
    ]
    if eta_s is not None and left:
        lines.append(_("Dự kiến xong sau khoảng {eta}.").format(eta=duration_text(_, eta_s)))
    return "\n".join(lines)


def final_text(_: Gettext, broadcast_id: int, counts: dict[str, int], seconds: float) -> str:
    left = counts["pending"] + counts["sending"]
    head = (
        _("✅ Tin #{id} đã gửi xong.").format(id=broadcast_id)
        if left == 0
        else _("⏸ Tin #{id} đã dừng, còn {left} người chưa gửi.").format(id=broadcast_id, left=left)
    )
    return "\n".join(
        [
            head,
            _("Đã gửi: {sent} / {total} người nhận.").format(
                sent=counts["sent"], total=counts["total"]
            ),
            _("Đã chặn bot (đã hủy đăng ký): {blocked}. Lỗi: {failed}.").format(
                blocked=counts["blocked"], failed=counts["failed"]
            ),
            _("Thời gian: {t}.").format(t=duration_text(_, seconds)),
        ]
    )


class ChatProgress:
    """ProgressSink that posts to the cadre's chat through the engine's bot.

    The first message books the cadre's chat slot in the application's send budget (`shared`),
    so it comes after the bot's "sending started" reply, not in the same second; edits are not
    sends and only wait their progress interval. Without a shared budget everything takes a
    token from the engine's bucket."""

    def __init__(
        self,
        bot: Bot,
        bucket: TokenBucket,
        chat_id: int,
        locale: str | None,
        broadcast_id: int,
        shared: SendBudget | None = None,
    ):
        self.bot, self.bucket, self.chat_id, self.shared = bot, bucket, chat_id, shared
        self._ = gettext_for(locale)
        self.broadcast_id = broadcast_id
        self.message_id: int | None = None
        self.last_text = ""

    def _stop_button(self) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        self._("⏹ Dừng gửi"), callback_data=f"{STOP_PREFIX}{self.broadcast_id}"
                    )
                ]
            ]
        )

    async def _show(self, text: str, markup: InlineKeyboardMarkup | None) -> None:
        if text == self.last_text:
            return
        if self.shared is None:
            await self.bucket.acquire()  # progress messages count against the same limits
        if self.message_id is None:
            if self.shared is not None:
                await self.shared.wait_chat(self.chat_id)
                await self.shared.wait_overall()
            msg = await self.bot.send_message(self.chat_id, text, reply_markup=markup)
            self.message_id = msg.message_id
        else:
            try:
                await self.bot.edit_message_text(
                    text, chat_id=self.chat_id, message_id=self.message_id, reply_markup=markup
                )
            except BadRequest as exc:
                if "not modified" not in str(exc).lower():
                    raise
        self.last_text = text

    async def start(self, counts: dict[str, int]) -> None:
        await self._show(
            progress_text(self._, self.broadcast_id, counts, None), self._stop_button()
        )

    async def update(self, counts: dict[str, int], eta_s: float | None) -> None:
        await self._show(
            progress_text(self._, self.broadcast_id, counts, eta_s), self._stop_button()
        )

    async def finish(self, counts: dict[str, int], stats: RunStats, seconds: float) -> None:
        await self._show(final_text(self._, self.broadcast_id, counts, seconds), None)
