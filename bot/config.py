"""Runtime settings, from the environment only (secrets never live in committed files)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    telegram_token: str | None = None
    # Where python-telegram-bot sends Bot API calls; None means api.telegram.org.
    bot_api_base_url: str | None = None
    database_url: str = f"sqlite:///{REPO_ROOT / 'var' / 'bhyt.sqlite3'}"
    nlu_url: str = "http://127.0.0.1:5005"
    nlu_timeout_s: float = 2.0
    nlu_threshold: float = 0.45
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
    admin_ids: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def from_env(cls) -> Settings:
        admins = os.environ.get("BHYT_ADMIN_IDS", "")
        return cls(
            telegram_token=os.environ.get("TELEGRAM_BOT_TOKEN") or None,
            bot_api_base_url=os.environ.get("BOT_API_BASE_URL") or None,
            database_url=os.environ.get("DATABASE_URL") or cls.database_url,
            nlu_url=os.environ.get("NLU_URL") or cls.nlu_url,
            nlu_timeout_s=_env_float("NLU_TIMEOUT_S", cls.nlu_timeout_s),
            nlu_threshold=_env_float("NLU_THRESHOLD", cls.nlu_threshold),
            lead_dedup_window_h=_env_float("LEAD_DEDUP_WINDOW_H", cls.lead_dedup_window_h),
            max_message_chars=_env_int("MAX_MESSAGE_CHARS", cls.max_message_chars),
            flood_max_messages=_env_int("FLOOD_MAX_MESSAGES", cls.flood_max_messages),
            flood_window_s=_env_float("FLOOD_WINDOW_S", cls.flood_window_s),
            lead_unclaimed_remind_min=_env_float("LEAD_UNCLAIMED_REMIND_MIN", 30.0),
            lead_unclaimed_escalate_min=_env_float("LEAD_UNCLAIMED_ESCALATE_MIN", 120.0),
            lead_claimed_remind_h=_env_float("LEAD_CLAIMED_REMIND_H", 24.0),
            lead_claimed_release_h=_env_float("LEAD_CLAIMED_RELEASE_H", 72.0),
            admin_ids=frozenset(int(x) for x in admins.replace(",", " ").split() if x.isdigit()),
        )
