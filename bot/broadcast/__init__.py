"""Broadcast delivery engine (issue 8): paced, restartable sending of campaign messages.

- `engine.DeliveryEngine`: Delivery rows drive sending (at-most-once after a crash).
- `pacing`: token bucket (global) and per-chat spacing; 429 pauses.
- `render`: the recipient's message, always with a one-tap unsubscribe button.
- `progress.ChatProgress`: the cadre's edited progress message and final report.
- `service.BroadcastService`: the bot application's side (JobQueue pick-up, tasks, stop).
"""

from bot.broadcast.engine import DeliveryEngine, EngineConfig, RunResult, RunStats

__all__ = ["DeliveryEngine", "EngineConfig", "RunResult", "RunStats"]
