"""Cadre handlers (issue: cadres). Registered before the citizen handlers."""

from telegram.ext import Application


def add_cadre_handlers(app: Application) -> None:
    """Scaffold: the cadre side is being built; nothing registered yet."""
