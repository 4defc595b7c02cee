"""The whole running system in one place: NLU server, database, (sandbox,) bot application.

Used by `python -m bot run`, the scenario runner, the e2e tests and the benches, so that all of
them start the application exactly the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select
from telegram.ext import Application

import policies
from bot.app import build_application
from bot.config import Settings
from bot.runtime import Services
from bot.sandbox import DEFAULT_TOKEN, Sandbox, start_sandbox
from bot.turns import TurnLog
from db import people as db_people
from db import places as db_places
from db.models import Commune
from db.session import Database, upgrade
from nlu.client import NluClient
from nlu.server import NluServer, ensure_nlu

log = logging.getLogger(__name__)


def prepare_database(url: str) -> Database:
    """Migrate to head and load places once; both are no-ops when already done."""
    upgrade(url)
    database = Database(url)
    with database.factory() as s:
        empty = not s.scalar(select(func.count()).select_from(Commune))
    if empty:
        database.call(db_places.load_places)
    return database


def grant_roles(database: Database, telegram_id: int, name: str, role: str, communes: list[str]):
    """Give a person a role scoped to communes written the way people write them."""

    def work(s):
        person, _ = db_people.get_or_create_person(s, telegram_id, name)
        for text in communes:
            commune, reason = db_places.resolve_commune(s, text)
            if commune is None:
                raise ValueError(reason)
            db_people.grant_role(s, person.id, role, commune.id, None)
            if role == "cadre":  # cadres see what their agents see in their communes
                db_people.set_home_commune(s, person.id, commune.id)

    database.call(work)


@dataclass
class Stack:
    settings: Settings
    sandbox_options: dict[str, Any] | None = None  # None: talk to the Telegram set in settings
    nlu_server: NluServer | None = None
    sandbox: Sandbox | None = None
    app: Application | None = None
    database: Database | None = None

    async def __aenter__(self) -> Stack:
        nlu_url, self.nlu_server = await ensure_nlu(self.settings.nlu_url)
        self.settings = replace(self.settings, nlu_url=nlu_url)
        self.database = prepare_database(self.settings.database_url)
        if self.sandbox_options is not None:
            self.sandbox = await start_sandbox(**self.sandbox_options)
            self.settings = replace(
                self.settings, bot_api_base_url=self.sandbox.url, telegram_token=DEFAULT_TOKEN
            )
        svc = Services(
            settings=self.settings,
            nlu=NluClient(
                nlu_url,
                timeout=self.settings.nlu_timeout_s,
                threshold=self.settings.nlu_threshold,
                cache_size=self.settings.nlu_cache_size,
                cache_ttl_s=self.settings.nlu_cache_ttl_s,
            ),
            db=self.database,
            rules=policies.load_rules(),
            turns=TurnLog(self.database),
        )
        try:  # the model's first parse builds its graph: pay for it before the first citizen does
            await svc.nlu.parse("xin chào")
        except Exception:  # the bot starts anyway and answers with its menu while NLU is down
            log.warning("NLU warm-up parse failed", exc_info=True)
        self.app = build_application(self.settings, svc)
        await self.app.initialize()
        await self.app.start()
        assert svc.turns is not None
        svc.turns.start()
        assert self.app.updater is not None
        await self.app.updater.start_polling(
            poll_interval=0.0, timeout=10, drop_pending_updates=False
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.app is not None:
            if self.app.updater and self.app.updater.running:
                await self.app.updater.stop()
            if self.app.running:
                await self.app.stop()
            turns = self.app.bot_data["services"].turns
            if turns is not None:  # after the handlers stopped: their last turns are in it
                try:
                    await turns.stop()
                except Exception:
                    log.warning("conversation log: last turns not written", exc_info=True)
            await self.app.shutdown()
        if self.sandbox is not None:
            await self.sandbox.stop()
        if self.nlu_server is not None:
            self.nlu_server.stop()
        if self.database is not None:
            self.database.dispose()

    @property
    def services(self) -> Services:
        assert self.app is not None
        return self.app.bot_data["services"]
