"""Tiny helpers shared by the services."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result
from sqlalchemy.orm import Session


def rowcount(result: Result[Any]) -> int:
    """Rows matched by an UPDATE/DELETE (typed: execute() is declared to return Result)."""
    return cast(CursorResult[Any], result).rowcount


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name
