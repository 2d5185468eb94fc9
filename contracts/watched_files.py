"""A value built from files an operator edits while the assistant runs (shop policies, message
catalogues): built on first use and rebuilt when a file's modification time changes, so an edit
takes effect without a restart."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")


class WatchedFiles(Generic[T]):
    """Subclasses name their files and how to build the value from them."""

    def __init__(self) -> None:
        self._mtimes: tuple[float, ...] | None = None
        self._value: T | None = None

    def files(self) -> Sequence[Path]:
        raise NotImplementedError

    def load(self) -> T:
        raise NotImplementedError

    def get(self) -> T:
        mtimes = tuple(path.stat().st_mtime for path in self.files())
        if self._value is None or mtimes != self._mtimes:
            self._value = self.load()
            self._mtimes = mtimes
        return self._value
