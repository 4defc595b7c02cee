"""Collection-agent handlers (issue: agents). Registered before the citizen handlers."""

from telegram.ext import Application


def add_agent_handlers(app: Application) -> None:
    """Scaffold: the agent side is being built; nothing registered yet."""
