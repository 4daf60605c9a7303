"""Generate the labelled geocoder evaluation set (eval_set.csv) — deterministic, fixed seed.

Addresses are generated from the gazetteer sources (the `vietnamadminunits` package: current
units, pre-2025 units and the crosswalk) with one kind of noise each, plus the hand-written
hard cases of hard_cases.csv. Coordinates are points on the surface of the national commune
polygons (../shared/data), so their labels are exact. Truth codes are the national file's.

    .venv/bin/python tests/data/geocode/make_eval_set.py [--per-class 36] [--seed 2025]
        [--out tests/data/geocode/eval_set.csv]

The benchmark calls `generate()` for larger sets (same classes, another size).
"""

from __future__ import annotations

import argparse
import csv
import random
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pyogrio
import shapely

from gis.gazetteer_sources import SourceUnit, read_sources
from gis.normalise import fold

HERE = Path(__file__).resolve().parent
SHARED_NATIONAL = Path("national") / "vn_wards_2025_simplified.geojson.gz"
COLUMNS = ["id", "noise", "text", "expected_status", "expected_code", "expected_candidates", "note"]
ABBREVIATIONS = {
    "Xã": ("X.", "x."), "Phường": ("P.", "P", "p."), "Thị trấn": ("TT.", "TT", "tt."),
    "Huyện": ("H.", "h."), "Quận": ("Q.", "Q"), "Thị xã": ("TX.", "TX", "tx."),
    "Thành phố": ("TP.", "Tp.", "T.P", "TP"), "Tỉnh": ("T.", ""), "Đặc khu": ("Đặc khu",),
}  # fmt: skip
STREET_PARTS = (
    "Số {n} ngõ {m}", "thôn {n}", "xóm Đông", "Số {n} đường Lê Lợi", "tổ {n}", "ấp {n}",
    "khu phố {n}", "Số {n}/{m} hẻm {m}", "thôn Trung", "bản Na {n}",
)  # fmt: skip
NOISE_CLASSES = (
    "clean_new", "short_new", "legacy", "legacy_short", "abbreviated", "no_diacritics",
    "case", "village_house", "typo", "nfd", "glued", "numbered", "order", "coordinates",
)  # fmt: skip


@dataclass
class Row:
    noise: str
    text: str
    expected_status: str
    expected_code: str = ""
    expected_candidates: str = ""
    note: str = ""


def _type_and_name(full_name: str, name: str) -> tuple[str, str]:
    prefix = full_name[: -len(name)].strip() if full_name.endswith(name) else ""
    return prefix, name


def _abbreviate(full_name: str, name: str, rng: random.Random) -> str:
    prefix, name = _type_and_name(full_name, name)
    options = ABBREVIATIONS.get(prefix)
    if not options:
        return full_name
    short = rng.choice(options)
    joiner = "" if short.endswith(".") and rng.random() < 0.5 else " "
    return f"{short}{joiner}{name}".strip()


def _typo(name: str, rng: random.Random) -> str:
    """One edit (substitute, delete, insert, swap) inside a word of 4+ letters."""
    words = name.split()
    candidates = [i for i, w in enumerate(words) if len(w) >= 4]
    if not candidates:
        return name
    i = rng.choice(candidates)
    w = words[i]
    pos = rng.randrange(1, len(w) - 1)
    kind = rng.choice(("sub", "del", "ins", "swap"))
    letters = "aeioubcdghklmnprstuy"
    if kind == "sub":
        w = w[:pos] + rng.choice([c for c in letters if c != w[pos].lower()]) + w[pos + 1 :]
    elif kind == "del":
        w = w[:pos] + w[pos + 1 :]
    elif kind == "ins":
        w = w[:pos] + rng.choice(letters) + w[pos:]
    else:
        w = w[: pos - 1] + w[pos] + w[pos - 1] + w[pos + 1 :]
    words[i] = w
    return " ".join(words)


def _glue(text: str, rng: random.Random) -> str:
    parts = [p.strip() for p in text.split(",")]
    glued = ["".join(w[:1].upper() + w[1:] for w in p.split()) for p in parts]
    return rng.choice((",", ", ", " - ")).join(glued)


def _dms(value: float, positive: str, negative: str) -> str:
    hemisphere = positive if value >= 0 else negative
    value = abs(value)
    degrees = int(value)
    minutes_f = (value - degrees) * 60
    minutes = int(minutes_f)
    seconds = (minutes_f - minutes) * 60
    return f"{degrees}°{minutes:02d}'{seconds:04.1f}\"{hemisphere}"


class Generator:
    """Draws units and writes noisy addresses with their labels."""

    def __init__(self, shared_data: Path, seed: int) -> None:
        self.rng = random.Random(seed)
        frame = pyogrio.read_dataframe(f"/vsigzip/{shared_data / SHARED_NATIONAL}")
        self.codes = set(frame["code"])
        points = shapely.point_on_surface(frame.geometry.array)
        self.points = list(zip(frame["code"], shapely.get_x(points), shapely.get_y(points),
                               strict=True))  # fmt: skip
        units = read_sources()
        by_key = {(u.level, u.key): u for u in units}
        self.provinces = {u.key: u for u in units if u.level == "NP"}
        self.new = [u for u in units if u.level == "NC" and u.code in self.codes]
        self.old = [
            u
            for u in units
            if u.level == "OC" and len(u.successors) == 1 and u.successors[0] in self.codes
        ]
        # Units that read the same once diacritics are gone ("Hoằng Quỳ" / "Hoằng Quý").
        self.folded_siblings: dict[tuple[str, str], list[SourceUnit]] = {}
        for u in self.new + [u for u in units if u.level == "OC"]:
            self.folded_siblings.setdefault((u.parent_key, fold(u.name)), []).append(u)
        self.parent = {
            u.key: by_key.get(("OD" if u.level == "OC" else "OP", u.parent_key)) for u in units
        }

    def _new(self) -> SourceUnit:
        return self.rng.choice(self.new)

    def _old(self, numbered: bool = False) -> SourceUnit:
        pool = [u for u in self.old if u.name.isdigit()] if numbered else self.old
        return self.rng.choice(pool)

    def _new_parts(self, u: SourceUnit) -> tuple[list[str], list[str]]:
        province = self.provinces[u.parent_key]
        return [u.full_name, province.full_name], [u.name, province.name]

    def _old_parts(self, u: SourceUnit) -> tuple[list[str], list[str]]:
        district = self.parent[u.key]
        province = self.parent[district.key]
        return (
            [u.full_name, district.full_name, province.full_name],
            [u.name, district.name, province.name],
        )

    def row(self, noise: str) -> Row:
        rng = self.rng
        legacy = noise in ("legacy", "legacy_short") or (
            noise not in ("clean_new", "short_new", "coordinates") and rng.random() < 0.4
        )
        if noise == "coordinates":
            return self._coordinates()
        if noise == "numbered":
            if rng.random() < 0.3:
                u = rng.choice([u for u in self.new if any(c.isdigit() for c in u.name)])
                full, short = self._new_parts(u)
                return Row(noise, f"{u.full_name}, {short[1]}", "matched", u.code)
            u = self._old(numbered=True)
            full, short = self._old_parts(u)
            n = u.name
            ward = rng.choice((f"Phường {n}", f"P.{n}", f"P{int(n):02d}", f"Phường {int(n):02d}"))
            district = _abbreviate(full[1], short[1], rng) if rng.random() < 0.5 else full[1]
            text = f"{ward}, {district}, {short[2]}"
            return Row(noise, text, "matched", u.successors[0], note="legacy")
        u = self._old() if legacy else self._new()
        full, short = self._old_parts(u) if legacy else self._new_parts(u)
        code = u.successors[0] if legacy else u.code
        parts = list(full)
        if noise in ("short_new", "legacy_short"):
            parts = list(short)
        elif noise == "abbreviated":
            parts = [_abbreviate(f, s, rng) for f, s in zip(full, short, strict=True)]
            parts[-1] = parts[-1] or short[-1]
        elif noise == "typo":
            i = 0 if rng.random() < 0.7 else len(full) - 1
            prefix = full[i][: -len(short[i])] if full[i].endswith(short[i]) else ""
            parts[i] = f"{prefix}{_typo(short[i], rng)}"
        elif noise == "village_house":
            street = rng.choice(STREET_PARTS).format(n=rng.randint(1, 30), m=rng.randint(1, 9))
            parts = [street, *full]
        elif noise == "order":
            parts = list(reversed(full if rng.random() < 0.5 else short))
        text = ", ".join(p for p in parts if p)
        if noise == "no_diacritics":
            text = fold(text) if rng.random() < 0.5 else _strip_keep_case(text)
            siblings = self.folded_siblings.get((u.parent_key, fold(u.name)), [u])
            codes = sorted({c for s in siblings for c in (s.successors or (s.code,))})
            if len(codes) > 1:  # ambiguous by construction: diacritics alone told them apart
                return Row(noise, text, "ambiguous", "", " ".join(codes), "folded names collide")
        elif noise == "case":
            text = rng.choice((str.lower, str.upper, str.title))(text)
        elif noise == "nfd":
            text = unicodedata.normalize("NFD", text)
        elif noise == "glued":
            text = _glue(text, rng)
        return Row(noise, text, "matched", code, note="legacy" if legacy else "")

    def _coordinates(self) -> Row:
        rng = self.rng
        code, lon, lat = rng.choice(self.points)
        style = rng.choice(("latlon", "lonlat", "dms", "labelled"))
        if style == "latlon":
            text = f"{lat:.6f}, {lon:.6f}"
        elif style == "lonlat":
            text = f"{lon:.6f} {lat:.6f}"
        elif style == "dms":
            text = f"{_dms(lat, 'N', 'S')} {_dms(lon, 'E', 'W')}"
        else:
            text = f"lat: {lat:.5f} lon: {lon:.5f}"
        return Row("coordinates", text, "matched", code, note=style)


def _strip_keep_case(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def generate(shared_data: Path, per_class: int, seed: int) -> list[Row]:
    """``per_class`` rows of every noise class (no hand-written cases)."""
    gen = Generator(shared_data, seed)
    return [gen.row(noise) for noise in NOISE_CLASSES for _ in range(per_class)]


def hard_cases() -> list[Row]:
    """The hand-written hard cases (hard_cases.csv)."""
    with open(HERE / "hard_cases.csv", encoding="utf-8", newline="") as fh:
        return [
            Row(
                "hard",
                r["text"],
                r["expected_status"],
                r["expected_code"],
                r["expected_candidates"],
                r["note"],
            )
            for r in csv.DictReader(fh)
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=36)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--shared-data", type=Path, default=Path("/work/shared/data"))
    parser.add_argument("--out", type=Path, default=HERE / "eval_set.csv")
    args = parser.parse_args()
    rows = generate(args.shared_data, args.per_class, args.seed) + hard_cases()
    with open(args.out, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for i, r in enumerate(rows, start=1):
            writer.writerow([i, r.noise, r.text, r.expected_status, r.expected_code,
                             r.expected_candidates, r.note])  # fmt: skip
    print(f"{len(rows)} rows → {args.out}")


if __name__ == "__main__":
    main()
