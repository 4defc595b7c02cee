"""Runtime settings, from the environment only (secrets never live in committed files)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

REPO_ROOT = Path(__file__).resolve().parent.parent
D = TypeVar("D")  # an env helper's default: a number, or None for "derive it"


def _env_float(name: str, default: D) -> float | D:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


def _env_int(name: str, default: D) -> int | D:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _env_hours(name: str, default: tuple[int, int]) -> tuple[int, int]:
    """QUIET_HOURS=21-7 (local hours, start-end); equal hours mean no quiet time."""
    raw = os.environ.get(name)
    if not raw:
        return default
    start, _sep, end = raw.partition("-")
    return int(start), int(end)


@dataclass(frozen=True)
class Settings:
    telegram_token: str | None = None
    # Where python-telegram-bot sends Bot API calls; None means api.telegram.org.
    bot_api_base_url: str | None = None
    database_url: str = f"sqlite:///{REPO_ROOT / 'var' / 'bhyt.sqlite3'}"
    nlu_url: str = "http://127.0.0.1:5005"
    # Telegram's overall send limit for this bot (about 30/s for ordinary bots)
    telegram_global_rate: float = 30.0
    # "chat": bot/concurrency.ChatRateLimiter (per chat 1/s, shared with broadcasts);
    # "aio": python-telegram-bot's AIORateLimiter (no per-chat pacing for private chats)
    rate_limiter: str = "chat"
    # Connections to the Bot API. httpcore scans its whole pool on every request, so PTB's 256
    # cost more CPU under load than they saved in waiting (bench.load: docs/LOAD.md).
    bot_http_pool: int = 32
    nlu_timeout_s: float = 2.0
    nlu_threshold: float = 0.45
    # Recent parses kept in the bot (0: none); they expire after nlu_cache_ttl_s.
    nlu_cache_size: int = 4096
    nlu_cache_ttl_s: float = 600.0
    # A second request from the same person inside this window updates the open lead.
    lead_dedup_window_h: float = 72.0
    max_message_chars: int = 1000
    # Per-user flood limit: at most this many messages in flood_window_s.
    flood_max_messages: int = 8
    flood_window_s: float = 10.0
    # Lead follow-up (issue: agents); kept here so every worker shares one config.
    lead_unclaimed_remind_min: float = 30.0
    lead_unclaimed_escalate_min: float = 120.0
    lead_claimed_remind_h: float = 24.0
    lead_claimed_release_h: float = 72.0
    quiet_hours: tuple[int, int] = (21, 7)
    timezone: str = "Asia/Ho_Chi_Minh"
    # How often the follow-up scanner reads the database (notifications, reminders, renewals).
    lead_scan_interval_s: float = 30.0
    # First scan after start-up (lets polling start first); it sends what a restart left over.
    lead_scan_first_s: float = 2.0
    # A notification claimed but not confirmed sent after this long is retried (crashed worker).
    lead_send_stale_s: float = 120.0
    # Card renewal reminders: days before the card's end; default card length when not given.
    renewal_remind_days: tuple[int, ...] = (30, 7)
    renewal_default_months: int = 12
    admin_ids: frozenset[int] = field(default_factory=frozenset)
    # Broadcast delivery (issue 8): own pacing under Telegram's ~30 msg/s, leaving room for
    # replies to citizens; per chat at most one message per broadcast_per_chat_s.
    broadcast_rate: float = 25.0
    # None: derived from the rate (EngineConfig.from_settings)
    broadcast_burst: float | None = None
    broadcast_per_chat_s: float = 1.0
    broadcast_concurrency: int | None = None
    broadcast_max_attempts: int = 5
    broadcast_backoff_max_s: float = 60.0
    broadcast_poll_s: float = 10.0
    broadcast_progress_s: float = 3.0
    # After a crash, deliveries whose outcome is unknown are not re-sent (at-most-once) unless
    # this is set (at-least-once: a recipient may get a second copy).
    broadcast_resend_unknown: bool = False
    # Weekly cadre report: Python weekday (0 = Monday; 2 = Wednesday) and local time.
    cadre_report_weekday: int = 2
    cadre_report_time: str = "09:00"

    @classmethod
    def from_env(cls) -> Settings:
        admins = os.environ.get("BHYT_ADMIN_IDS", "")
        return cls(
            telegram_token=os.environ.get("TELEGRAM_BOT_TOKEN") or None,
            bot_api_base_url=os.environ.get("BOT_API_BASE_URL") or None,
            database_url=os.environ.get("DATABASE_URL") or cls.database_url,
            nlu_url=os.environ.get("NLU_URL") or cls.nlu_url,
            telegram_global_rate=_env_float("TELEGRAM_GLOBAL_RATE", cls.telegram_global_rate),
            rate_limiter=os.environ.get("RATE_LIMITER") or cls.rate_limiter,
            bot_http_pool=_env_int("BOT_HTTP_POOL", cls.bot_http_pool),
            nlu_timeout_s=_env_float("NLU_TIMEOUT_S", cls.nlu_timeout_s),
            nlu_threshold=_env_float("NLU_THRESHOLD", cls.nlu_threshold),
            nlu_cache_size=_env_int("NLU_CACHE_SIZE", cls.nlu_cache_size),
            nlu_cache_ttl_s=_env_float("NLU_CACHE_TTL_S", cls.nlu_cache_ttl_s),
            lead_dedup_window_h=_env_float("LEAD_DEDUP_WINDOW_H", cls.lead_dedup_window_h),
            max_message_chars=_env_int("MAX_MESSAGE_CHARS", cls.max_message_chars),
            flood_max_messages=_env_int("FLOOD_MAX_MESSAGES", cls.flood_max_messages),
            flood_window_s=_env_float("FLOOD_WINDOW_S", cls.flood_window_s),
            lead_unclaimed_remind_min=_env_float("LEAD_UNCLAIMED_REMIND_MIN", 30.0),
            lead_unclaimed_escalate_min=_env_float("LEAD_UNCLAIMED_ESCALATE_MIN", 120.0),
            lead_claimed_remind_h=_env_float("LEAD_CLAIMED_REMIND_H", 24.0),
            lead_claimed_release_h=_env_float("LEAD_CLAIMED_RELEASE_H", 72.0),
            quiet_hours=_env_hours("QUIET_HOURS", cls.quiet_hours),
            timezone=os.environ.get("BHYT_TIMEZONE") or cls.timezone,
            lead_scan_interval_s=_env_float("LEAD_SCAN_INTERVAL_S", cls.lead_scan_interval_s),
            lead_send_stale_s=_env_float("LEAD_SEND_STALE_S", cls.lead_send_stale_s),
            renewal_default_months=_env_int("RENEWAL_DEFAULT_MONTHS", cls.renewal_default_months),
            admin_ids=frozenset(int(x) for x in admins.replace(",", " ").split() if x.isdigit()),
            broadcast_rate=_env_float("BROADCAST_RATE", cls.broadcast_rate),
            broadcast_burst=_env_float("BROADCAST_BURST", None),
            broadcast_per_chat_s=_env_float("BROADCAST_PER_CHAT_S", cls.broadcast_per_chat_s),
            broadcast_concurrency=_env_int("BROADCAST_CONCURRENCY", None),
            broadcast_max_attempts=_env_int("BROADCAST_MAX_ATTEMPTS", cls.broadcast_max_attempts),
            broadcast_poll_s=_env_float("BROADCAST_POLL_S", cls.broadcast_poll_s),
            broadcast_progress_s=_env_float("BROADCAST_PROGRESS_S", cls.broadcast_progress_s),
            broadcast_resend_unknown=os.environ.get("BROADCAST_RESEND_UNKNOWN", "")
            in ("1", "true"),
            cadre_report_weekday=_env_int("CADRE_REPORT_WEEKDAY", cls.cadre_report_weekday),
            cadre_report_time=os.environ.get("CADRE_REPORT_TIME") or cls.cadre_report_time,
        )
