"""Optional population table (code, population, year): rates and population-weighted shares.

A file (CSV or XLSX) with the columns ``code``, ``population`` and ``year`` is checked as a
whole and loaded in one transaction: unknown codes, non-numbers and repeated (code, year)
pairs are refused by row, and the database is left as it was.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis import audit
from gis.errors import InputError

REQUIRED = ("code", "population", "year")
MAX_SHOWN = 5


@dataclass
class PopulationLoad:
    """What a population import did."""

    file: str
    rows: int
    inserted: int
    updated: int
    years: list[int]


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(f"{path}: no such file", "give the path of a CSV or XLSX file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        elif suffix in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
        else:
            raise InputError(
                f"{path.name}: unsupported file type {suffix or '(none)'}",
                "give a .csv (UTF-8) or .xlsx file with columns code, population, year",
            )
    except (UnicodeDecodeError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"{path.name}: cannot be read ({exc})", "save it as UTF-8 CSV") from None
    frame.columns = [unicodedata.normalize("NFC", str(c)).strip().lower() for c in frame.columns]
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(
            f"{path.name}: missing column(s) {', '.join(missing)} "
            f"(found: {', '.join(frame.columns) or 'none'})",
            "the file needs the columns code, population, year (one row per commune and year)",
        )
    return frame[list(REQUIRED)].apply(lambda s: s.astype(str).str.strip())


def _refuse(path: Path, what: str, rows: pd.Series, hint: str) -> None:
    shown = ", ".join(str(int(r) + 2) for r in rows.index[:MAX_SHOWN])  # header is line 1
    more = f" and {len(rows) - MAX_SHOWN} more" if len(rows) > MAX_SHOWN else ""
    raise InputError(f"{path.name}: {what} on line(s) {shown}{more}", hint)


def load_population(
    engine: Engine, path: Path, source: str | None = None, actor: str | None = None
) -> PopulationLoad:
    """Load (insert or replace) population figures per commune and year from a file.

    Audited in the same transaction under ``actor`` (by default the shell user): the file,
    its sha256 and the population rows before and after.
    """
    path = Path(path)
    frame = _read(path)
    population = pd.to_numeric(frame["population"].str.replace(r"[\s,.]", "", regex=True),
                               errors="coerce")  # fmt: skip
    year = pd.to_numeric(frame["year"], errors="coerce")
    bad = frame[population.isna() | (population < 0) | (population % 1 != 0)]
    if len(bad):
        _refuse(path, "population is not a whole number ≥ 0", bad, "write digits only")
    bad = frame[year.isna() | (year < 1900) | (year > 2100) | (year % 1 != 0)]
    if len(bad):
        _refuse(path, "year is not a year", bad, "write the census or estimate year, e.g. 2024")
    frame = frame.assign(population=population.astype(np.int64), year=year.astype(np.int64))
    repeated = frame[frame.duplicated(["code", "year"], keep=False)]
    if len(repeated):
        _refuse(path, "the same code and year appear twice", repeated, "keep one row per pair")
    with engine.begin() as conn:
        known = set(
            conn.scalars(
                sa.text("SELECT code FROM admin_unit WHERE code = ANY(:c)"),
                {"c": frame["code"].unique().tolist()},
            ).all()
        )
        unknown = frame[~frame["code"].isin(known)]
        if len(unknown):
            _refuse(
                path,
                f"unknown unit code(s) {', '.join(unknown['code'].unique()[:MAX_SHOWN])}",
                unknown,
                "use the current (2025) commune codes; load their boundaries first",
            )
        rows_before = conn.scalar(sa.text("SELECT count(*) FROM population"))
        existing = conn.scalar(
            sa.text(
                "SELECT count(*) FROM population p JOIN unnest(CAST(:c AS text[]), "
                "CAST(:y AS smallint[])) AS f(code, year) USING (code, year)"
            ),
            {"c": frame["code"].tolist(), "y": frame["year"].tolist()},
        )
        conn.execute(
            sa.text(
                "INSERT INTO population (code, year, population, source) "
                "SELECT * , CAST(:source AS text) FROM unnest(CAST(:c AS text[]), "
                "CAST(:y AS smallint[]), CAST(:p AS integer[])) "
                "ON CONFLICT (code, year) DO UPDATE SET population = EXCLUDED.population, "
                "source = EXCLUDED.source, loaded_at = now()"
            ),
            {
                "c": frame["code"].tolist(),
                "y": frame["year"].tolist(),
                "p": frame["population"].tolist(),
                "source": source or path.name,
            },
        )
        after = {"rows": conn.scalar(sa.text("SELECT count(*) FROM population")),
                 "file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                 "source": source or path.name, "file_rows": len(frame),
                 "inserted": len(frame) - existing, "updated": existing,
                 "years": sorted(int(y) for y in frame["year"].unique())}  # fmt: skip
        audit.record(
            conn, actor or audit.os_actor(), "import", "population", path.name,
            {"rows": rows_before}, after,
        )  # fmt: skip
    return PopulationLoad(
        path.name, len(frame), len(frame) - existing, existing, sorted(frame["year"].unique())
    )


def population_as_of(engine: Engine, codes: list[str], year: int) -> pd.Series:
    """Population of each code for ``year``: the latest figure up to it, else the earliest after."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT DISTINCT ON (code) code, population FROM population "
                "WHERE code = ANY(:c) ORDER BY code, year > :y, abs(year - :y)"
            ),
            {"c": codes, "y": year},
        ).all()
    return pd.Series([r[1] for r in rows], index=[r[0] for r in rows], dtype="Int64")
