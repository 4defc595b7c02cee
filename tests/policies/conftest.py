"""Fixtures for the policy tests (helpers live in policy_helpers.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def rules():
    from policies import load_rules

    return load_rules()
