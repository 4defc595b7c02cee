from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import replace

import pytest

from bot.config import Settings
from bot.sandbox import SandboxClient
from bot.stack import Stack
from tests.bot.fake_nlu import FakeNlu


@pytest.fixture
async def fake_nlu():
    nlu = await FakeNlu().start()
    yield nlu
    await nlu.stop()


@pytest.fixture
def cadre_stack(fake_nlu, tmp_path):
    """The real bot, sandbox and database; NLU scripted (the cadre side does not use it)."""

    @asynccontextmanager
    async def factory(sandbox_options=None, **overrides):
        settings = replace(
            Settings.from_env(),
            telegram_token=None,
            nlu_url=fake_nlu.url,
            database_url=f"sqlite:///{tmp_path}/cadre.sqlite3",
            **overrides,
        )
        async with Stack(settings, sandbox_options=sandbox_options or {"mode": "count"}) as stack:
            assert stack.sandbox is not None
            async with SandboxClient(stack.sandbox.url) as client:
                yield stack, client

    return factory
