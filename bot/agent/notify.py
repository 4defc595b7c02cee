"""Sending what `db.followup` claimed: the new-lead hook and the scanner job.

Both only send rows they claimed in the database, so running them together, twice, or after a
restart sends each message once. The scanner (JobQueue.run_repeating) is what makes the system
restart-safe: whatever the hook did not finish, the next pass does.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, ContextTypes

from bot.agent import texts
from bot.config import Settings
from bot.i18n import gettext_for
from bot.runtime import Services
from db import followup
from db.followup import Closing, Outgoing, RenewalOut
from db.models import utcnow

log = logging.getLogger(__name__)

JOB_NAME = "lead-followup-scan"


def policy(settings: Settings) -> followup.Policy:
    return followup.Policy(
        remind_after=timedelta(minutes=settings.lead_unclaimed_remind_min),
        escalate_after=timedelta(minutes=settings.lead_unclaimed_escalate_min),
        owner_remind_after=timedelta(hours=settings.lead_claimed_remind_h),
        release_after=timedelta(hours=settings.lead_claimed_release_h),
        stale=timedelta(seconds=settings.lead_send_stale_s),
        quiet_hours=settings.quiet_hours,
        timezone=settings.timezone,
        renewal_days=settings.renewal_remind_days,
    )


def _permanent(exc: TelegramError) -> bool:
    """The user blocked the bot: retrying cannot help. ("chat not found" may be an agent who
    has not opened the bot yet: retried a few times, see followup.MAX_ATTEMPTS.)"""
    return isinstance(exc, Forbidden)


async def send_outgoing(bot: Bot, svc: Services, items: list[Outgoing]) -> int:
    """Send claimed messages; each is marked sent (with its message id) or failed."""
    sent = 0
    now = utcnow()
    for o in items:
        _ = gettext_for(o.locale)
        try:
            msg = await bot.send_message(
                o.chat_id,
                texts.outgoing_text(_, o, now, svc.settings.lead_claimed_release_h),
                parse_mode=ParseMode.HTML,
                reply_markup=texts.outgoing_keyboard(_, o),
            )
        except TelegramError as exc:
            log.warning("lead %s: %s to %s failed: %s", o.lead_id, o.kind, o.chat_id, exc)
            await svc.db.acall(followup.mark_failed, o.id, str(exc), _permanent(exc))
            continue
        await svc.db.acall(followup.mark_sent, o.id, msg.message_id)
        sent += 1
    return sent


async def edit_closings(bot: Bot, svc: Services, items: list[Closing]) -> None:
    """Take the "Nhận" button off offers that are over, saying who took the lead."""
    done: list[int] = []
    for c in items:
        _ = gettext_for(c.locale)
        try:
            await bot.edit_message_text(
                texts.closing_text(_, c),
                chat_id=c.chat_id,
                message_id=c.message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=None,
            )
        except BadRequest as exc:  # not modified / gone: nothing left to edit
            log.info("lead %s: closing edit in %s: %s", c.lead_id, c.chat_id, exc)
        except Forbidden:
            pass
        except TelegramError:
            log.warning("lead %s: closing edit failed, will retry", c.lead_id, exc_info=True)
            continue
        done.append(c.id)
    await svc.db.acall(followup.mark_closed, done)


async def send_renewals(bot: Bot, svc: Services, items: list[RenewalOut]) -> None:
    for r in items:
        _c = gettext_for(r.citizen_locale)
        try:
            if r.citizen_chat is not None:
                await bot.send_message(
                    r.citizen_chat,
                    texts.renewal_citizen_text(_c, r),
                    parse_mode=ParseMode.HTML,
                    reply_markup=texts.kb(
                        [[(_c("📞 Nhờ cán bộ liên hệ"), "menu:request_contact")]]
                    ),
                )
        except Forbidden:
            pass  # the citizen blocked the bot; the agent is still reminded
        except TelegramError:
            log.warning("renewal %s: send failed, will retry", r.id, exc_info=True)
            continue
        if r.owner_chat is not None:
            try:
                await bot.send_message(
                    r.owner_chat,
                    texts.renewal_agent_text(gettext_for(r.owner_locale), r),
                    parse_mode=ParseMode.HTML,
                )
            except TelegramError:
                log.warning("renewal %s: agent copy failed", r.id, exc_info=True)
        await svc.db.acall(followup.mark_renewal_sent, r.id)


async def scan_once(app: Application, svc: Services) -> followup.ScanResult:
    result = await svc.db.acall(followup.scan, policy(svc.settings))
    await edit_closings(app.bot, svc, result.closings)
    await send_outgoing(app.bot, svc, result.outgoing)
    await send_renewals(app.bot, svc, result.renewals)
    return result


async def scan_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    svc: Services = context.application.bot_data["services"]
    try:
        await scan_once(context.application, svc)
    except Exception:  # the next pass retries from the database state
        log.exception("lead follow-up scan failed")


async def _offer_now(app: Application, svc: Services, lead_id: int) -> None:
    try:
        items = await svc.db.acall(followup.pending_offers, lead_id)
        await send_outgoing(app.bot, svc, items)
    except Exception:  # never break the citizen's conversation; the scanner catches up
        log.exception("lead %s: notifying agents failed", lead_id)


async def on_new_lead(context: ContextTypes.DEFAULT_TYPE, lead_id: int) -> None:
    """Lead hook: offer the lead right away (the scanner would, a few seconds later).

    A task, not awaited: updates are processed one at a time, so sending to every agent of
    the commune here would hold up everyone's next message."""
    svc: Services = context.application.bot_data["services"]
    context.application.create_task(
        _offer_now(context.application, svc, lead_id), name=f"offer-lead-{lead_id}"
    )


def install(app: Application, svc: Services) -> None:
    svc.lead_hooks.append(on_new_lead)
    if app.job_queue is None:  # pragma: no cover - the job-queue extra is a dependency
        log.error("no JobQueue: lead reminders and restart recovery are disabled")
        return
    app.job_queue.run_repeating(
        scan_job,
        interval=svc.settings.lead_scan_interval_s,
        first=svc.settings.lead_scan_first_s,
        name=JOB_NAME,
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )
