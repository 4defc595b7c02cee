"""Shared fixtures: one real Rasa NLU server for the whole session (it takes ~40 s to load)."""

from __future__ import annotations

import asyncio
import os

import pytest

from nlu.server import NluServer, is_ready, latest_model


@pytest.fixture(scope="session")
def nlu_url():
    """URL of a real NLU server with the trained model: NLU_URL if it answers, else our own."""
    url = os.environ.get("NLU_URL")
    if url and asyncio.run(is_ready(url)):
        yield url
        return
    if latest_model() is None:
        pytest.skip("no trained model in models/: run `make train` (make test does)")
    server = NluServer()
    asyncio.run(server.start())
    os.environ["NLU_URL"] = server.url
    try:
        yield server.url
    finally:
        server.stop()
        os.environ.pop("NLU_URL", None)
