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
def fake_stack(fake_nlu, tmp_path):
    """The real bot, sandbox and database, with the NLU answers scripted by the test."""

    @asynccontextmanager
    async def factory(**overrides):
        settings = replace(Settings.from_env(), telegram_token=None, nlu_url=fake_nlu.url,
                           database_url=f"sqlite:///{tmp_path}/bot.sqlite3", **overrides)  # fmt: skip
        async with Stack(settings, sandbox_options={"mode": "count"}) as stack:
            assert stack.sandbox is not None
            async with SandboxClient(stack.sandbox.url) as client:
                await client.add_user(id=1001, first_name="Lan")
                yield stack, client

    return factory
