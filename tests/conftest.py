"""Hermetic tests: a developer's own keys and settings never reach the code under test."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def clean_environment() -> Iterator[None]:
    """Session-wide, so module-scoped fixtures (servers, baseline reports) start clean too."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name == "ANTHROPIC_API_KEY" or name.startswith("EXPANSION_DESK_"):
                patch.delenv(name)
        yield
