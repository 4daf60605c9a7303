"""A minimal progress protocol so that gis/ reports progress without knowing the UI."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

Advance = Callable[[int], None]


class Progress(Protocol):
    """Something that shows progress: ``task`` returns the function that advances it."""

    def task(self, description: str, total: int | None) -> Advance: ...


class NoProgress:
    """Progress that shows nothing (library use, tests)."""

    def task(self, description: str, total: int | None) -> Advance:
        return lambda n: None
