"""A whole running system per test: real NLU server (shared), fresh SQLite database, sandbox."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.config import Settings
from bot.sandbox import SandboxClient
from bot.stack import Stack


@pytest.fixture
def settings(nlu_url, tmp_path) -> Settings:
    """Override fields per test with `dataclasses.replace(settings, ...)` via `make_stack`."""
    return replace(
        Settings.from_env(),
        telegram_token=None,
        nlu_url=nlu_url,
        database_url=f"sqlite:///{tmp_path}/e2e.sqlite3",
    )


@pytest.fixture
def make_stack(settings):
    """`async with make_stack(**overrides) as (stack, client):` — sandbox in count mode by default."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def factory(sandbox_options=None, **overrides):
        async with Stack(
            replace(settings, **overrides), sandbox_options=sandbox_options or {"mode": "count"}
        ) as stack:
            assert stack.sandbox is not None
            async with SandboxClient(stack.sandbox.url) as client:
                yield stack, client

    return factory
