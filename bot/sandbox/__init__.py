"""Local fake Telegram Bot API server ("sandbox") for developing and testing the bot."""

from .client import SandboxClient, SandboxError
from .server import DEFAULT_TOKEN, Sandbox, SandboxState, start_sandbox

__all__ = [
    "DEFAULT_TOKEN",
    "Sandbox",
    "SandboxClient",
    "SandboxError",
    "SandboxState",
    "start_sandbox",
]
