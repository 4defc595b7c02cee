"""What every handler needs, built once per process and kept in `application.bot_data`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import ContextTypes

from bot.config import Settings
from bot.turns import TurnLog
from db.session import Database
from nlu.client import NluClient

LeadHook = Callable[[ContextTypes.DEFAULT_TYPE, int], Awaitable[None]]


@dataclass
class Services:
    settings: Settings
    nlu: NluClient
    db: Database  # `await svc.db.acall(service, *args)`: one session and transaction per call
    rules: Any  # policies.Rules, loaded and validated at start-up
    lead_hooks: list[LeadHook] = field(default_factory=list)
    # batched conversation log; None: each turn is written in its own transaction
    turns: TurnLog | None = None

    async def on_new_lead(self, context: ContextTypes.DEFAULT_TYPE, lead_id: int) -> None:
        for hook in self.lead_hooks:
            await hook(context, lead_id)


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data["services"]
