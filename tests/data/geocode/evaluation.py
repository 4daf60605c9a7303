"""Scoring of geocoders on the labelled evaluation set, shared by the tests and the bench.

The peer is `vietnamadminunits` (parse_address for 2025 addresses, convert_address for
pre-2025 ones, whichever reads the address more fully), with its online lookups disabled.
`Peer.code` does not know the form of an address and parses each one twice (2025 and
pre-2025); `Peer.code_once` is told the form (`legacy_form`) and calls the peer once, in the
mode that fits it: the peer at its fastest, as a caller who knows the form would use it.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

EVAL_SET = Path(__file__).resolve().parent / "eval_set.csv"


@dataclass
class LabelledRow:
    """One labelled input of the evaluation set."""

    id: int
    noise: str
    text: str
    expected_status: str
    expected_code: str
    expected_candidates: list[str]
    note: str


def load_rows(path: Path = EVAL_SET) -> list[LabelledRow]:
    """The evaluation set as written by make_eval_set.py."""
    with open(path, encoding="utf-8", newline="") as fh:
        return [
            LabelledRow(
                int(r["id"]),
                r["noise"],
                r["text"],
                r["expected_status"],
                r["expected_code"],
                r["expected_candidates"].split(),
                r["note"],
            )
            for r in csv.DictReader(fh)
        ]


@dataclass
class ClassScore:
    """Commune-level accuracy on the inputs of one noise class that have one right answer."""

    total: int = 0
    right: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 1.0


def accuracy_by_class(rows: list[LabelledRow], codes: list[str | None]) -> dict[str, ClassScore]:
    """Per noise class: share of single-answer inputs given the right commune code."""
    scores: dict[str, ClassScore] = defaultdict(ClassScore)
    for row, code in zip(rows, codes, strict=True):
        if row.expected_status != "matched":
            continue
        score = scores[row.noise]
        score.total += 1
        if code == row.expected_code:
            score.right += 1
        else:
            score.failures.append(f"{row.id} {row.text!r}: {code} ≠ {row.expected_code}")
    return dict(scores)


def legacy_form(row: LabelledRow) -> bool:
    """Whether the row is written with pre-2025 units (make_eval_set.py notes it)."""
    return row.note == "legacy"


def overall(scores: dict[str, ClassScore]) -> float:
    total = sum(s.total for s in scores.values())
    return sum(s.right for s in scores.values()) / total if total else 1.0


class Peer:
    """vietnamadminunits as a geocoder of addresses to current commune codes (offline)."""

    def __init__(self) -> None:
        import vietnamadminunits.converter.converter_2025 as converter
        from vietnamadminunits import convert_address, parse_address

        converter.get_geo_location = lambda address: None  # no online lookups (ArcGIS)
        self._parse = parse_address
        self._convert = convert_address

    def code(self, text: str) -> str | None:
        """The current commune code the peer reads in ``text`` (None when it finds none)."""
        try:
            new = self._parse(text)
            legacy = self._parse(text, mode="LEGACY")
            if legacy.ward_code and legacy.district_code and not new.ward_code:
                return self._convert(text).ward_code
            if legacy.ward_code and legacy.district_code and new.ward_code:
                converted = self._convert(text).ward_code
                return converted or new.ward_code
            return new.ward_code
        except Exception:  # the peer raises on some inputs; that is a miss, not a crash here
            return None

    def code_once(self, text: str, legacy: bool) -> str | None:
        """One call in the mode of the address form: convert_address (pre-2025 units read
        and converted) for a legacy address, parse_address (2025 units) for the others."""
        try:
            return (self._convert(text) if legacy else self._parse(text)).ward_code
        except Exception:  # a miss, as in `code`
            return None
