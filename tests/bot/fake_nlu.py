"""A stand-in Rasa server for unit tests: answers /model/parse from a table the test fills."""

from __future__ import annotations

from typing import Any

from aiohttp import web


class FakeNlu:
    def __init__(self) -> None:
        self.answers: dict[str, dict[str, Any]] = {}
        self.calls: list[str] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    def teach(self, text: str, intent: str, confidence: float = 0.95, ranking=None, **entities):
        ents = [
            {"entity": k, "value": v, "start": 0, "end": 0}
            for k, vs in entities.items()
            for v in (vs if isinstance(vs, list) else [vs])
        ]
        ranking = ranking or [(intent, confidence)]
        self.answers[text] = {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
            "entities": ents,
        }

    async def _parse(self, request: web.Request) -> web.Response:
        text = (await request.json())["text"]
        self.calls.append(text)
        default = {"text": text, "intent": {"name": "out_of_scope", "confidence": 0.9},
                   "intent_ranking": [], "entities": []}  # fmt: skip
        return web.json_response(self.answers.get(text, default))

    async def _status(self, request: web.Request) -> web.Response:
        return web.json_response({"model_id": "fake", "model_file": "fake.tar.gz"})

    async def start(self) -> FakeNlu:
        app = web.Application()
        app.router.add_post("/model/parse", self._parse)
        app.router.add_get("/status", self._status)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self.runner:
            await self.runner.cleanup()
