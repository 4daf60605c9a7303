"""Duplicate references within one file, found from 64-bit hashes kept per staged row.

Eight bytes a row (plus the row number) instead of sorting the whole staging table in
PostGIS: only rows whose hash repeats are looked at again, by their real keys, in SQL.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


class ReferenceLog:
    """Hashes of the staged rows' keys, chunk after chunk."""

    def __init__(self) -> None:
        self._hashes: list[np.ndarray] = []
        self._rows: list[np.ndarray] = []

    def add(self, rows: np.ndarray, keys: pd.DataFrame) -> None:
        """Remember the key of each staged row (``keys``: the key columns)."""
        self.add_hashes(rows, key_hashes(keys))

    def add_hashes(self, rows: np.ndarray, hashes: np.ndarray) -> None:
        """Remember the staged rows' key hashes (from `key_hashes`, computed anywhere)."""
        if len(rows):
            self._hashes.append(hashes)
            self._rows.append(np.asarray(rows, dtype=np.int64))

    def candidates(self) -> list[int]:
        """Row numbers whose key hash occurs more than once (true duplicates, or collisions)."""
        if not self._hashes:
            return []
        hashes = np.concatenate(self._hashes)
        rows = np.concatenate(self._rows)
        order = np.argsort(hashes, kind="stable")
        sorted_hashes = hashes[order]
        repeated = np.zeros(len(hashes), dtype=bool)
        same = sorted_hashes[1:] == sorted_hashes[:-1]
        repeated[1:] |= same
        repeated[:-1] |= same
        return sorted(rows[order][repeated].tolist())


def key_hashes(keys: pd.DataFrame) -> np.ndarray:
    """A 64-bit hash of each row's key (``keys``: the key columns)."""
    return pd.util.hash_pandas_object(keys, index=False).to_numpy()
