"""Hermetic tests: a developer's own keys and settings never reach the code under test."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name == "ANTHROPIC_API_KEY" or name.startswith("EXPANSION_DESK_"):
            monkeypatch.delenv(name)
