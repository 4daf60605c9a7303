"""Synthetic demo data, written the way officers keep their records (seeded, deterministic).

    write_demo_files(engine, "37", Path(".tuquan/demo"), seed=2020)

writes ``demo_sites.xlsx`` (the rollout), ``demo_incidents_2020_2022.csv`` (CSV UTF-8 as
Excel saves it) and ``demo_incidents_2023_2025.xlsx``: old and new addresses, abbreviations,
missing diacritics, a share with coordinates, a column of (made-up) personal names that
the import must drop, and a few bad rows of every kind. Every row is labelled synthetic.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from gis.demo_area import Area, load_area
from gis.demo_incidents import incidents as make_incidents
from gis.demo_sites import rollout
from gis.normalise import fold
from gis.settings import PROJECT_ROOT

TITLE = (
    "DỮ LIỆU MÔ PHỎNG — SYNTHETIC DEMO DATA (tuquan demo-data, seed {seed}): "
    "không phải số liệu thật / not real records"
)
SYNTHETIC = "x"
ABBREVIATIONS = {"xã": "X.", "phường": "P.", "thị trấn": "TT.", "huyện": "H.", "thị xã": "TX.",
                 "thành phố": "TP.", "tỉnh": "T."}  # fmt: skip
GENERIC = {"crime": "Tội phạm", "social_evils": "Tệ nạn xã hội", "property_fire": "Cháy nổ",
           "public_order": "Trật tự công cộng", "offenders": "Người lầm lỗi",
           "other": "Khác"}  # fmt: skip
NUMBER = {"crime": "1", "social_evils": "2", "property_fire": "3", "public_order": "4",
          "offenders": "5", "other": "6"}  # fmt: skip
INFORMANTS = ("Nguyễn Văn A", "Trần Thị B", "Lê Văn C", "Phạm Thị D", "Hoàng Văn E")


def _unit(kind: str, name: str, abbreviate: bool) -> str:
    kind = kind.lower()
    return f"{ABBREVIATIONS.get(kind, kind)} {name}" if abbreviate else f"{kind} {name}"


def _addresses(area: Area, pos: np.ndarray, lon: np.ndarray, lat: np.ndarray, rng) -> np.ndarray:
    """An address per point: new (2025) or old (pre-2025) units, some abbreviated or folded."""
    out = np.empty(len(pos), dtype=object)
    wards = area.wards
    province = area.province_name
    for p in np.unique(pos):
        rows = np.flatnonzero(pos == p)
        commune = area.communes.iloc[int(p)]
        kind, name = commune["full_name"].split(" ", 1)[0], commune["name"]
        if commune["full_name"].lower().startswith("đặc khu"):
            kind = "đặc khu"
        mine = wards[wards["commune_pos"] == p]
        if len(mine):
            d = np.hypot(
                lon[rows, None] - mine["lon"].to_numpy(), lat[rows, None] - mine["lat"].to_numpy()
            )
            nearest = mine.iloc[np.argmin(d, axis=1)]
        for j, r in enumerate(rows):
            short = rng.random() < 0.3
            hamlet = ""
            if rng.random() < 0.4:
                word = ("Thôn", "Xóm", "Tổ dân phố")[int(rng.integers(3))]
                hamlet = f"{word} {int(rng.integers(1, 15))}, "
            if len(mine) and rng.random() < 0.45:  # the old address people still write
                w = nearest.iloc[j]
                old_province = w["province_short"]
                if rng.random() < 0.7:
                    old_province = _unit("tỉnh", old_province, short)
                text = (
                    f"{hamlet}{_unit(w['ward_type'], w['ward_short'], short)}, "
                    f"{_unit(w['district_type'], w['district_short'], short)}, {old_province}"
                )
            else:
                new_province = _unit("tỉnh", province, short)
                text = f"{hamlet}{_unit(kind, name, short)}, {new_province}"
            out[r] = fold(text).title() if rng.random() < 0.15 else text
    return out


def _local_text(when: pd.Series, rng) -> np.ndarray:
    """Dates as officers type them: mostly dd/mm/yyyy hh:mm, some other forms."""
    forms = rng.choice(4, size=len(when), p=(0.7, 0.1, 0.1, 0.1))
    out = np.empty(len(when), dtype=object)
    for form, fmt in enumerate(
        ("%d/%m/%Y %H:%M", "%-d/%-m/%Y", "%Y-%m-%d %H:%M", "%Hh%M ngày %d/%m/%Y")
    ):
        rows = forms == form
        out[rows] = when[rows].dt.strftime(fmt).to_numpy()
    return out


def _category_cells(frame: pd.DataFrame, rng) -> tuple[np.ndarray, np.ndarray]:
    """The category column as written (offence, area, folded, number) and a detail column."""
    form = rng.choice(4, size=len(frame), p=(0.55, 0.25, 0.15, 0.05))
    sub = frame["subcategory"].to_numpy(dtype=object)
    cat = frame["category"].to_numpy(dtype=object)
    written = np.where(form == 0, sub, np.where(form == 2, [fold(s) for s in sub], ""))
    written = np.where(form == 1, [GENERIC[c] for c in cat], written)
    written = np.where(form == 3, [NUMBER[c] for c in cat], written)
    detail = np.where(np.isin(form, (1, 3)), sub, "")
    return written, detail


def _spoil(cells: pd.DataFrame, rng, share: float, columns: dict) -> pd.DataFrame:
    """A few bad rows of each kind the import must report (deterministic)."""
    n = len(cells)
    bad = rng.choice(n, size=max(7, int(n * share)), replace=False)
    for i, row in enumerate(sorted(bad)):
        kind = i % 7
        if kind == 0:
            cells.loc[row, columns["date"]] = ("31/02/2023", "2023/13/01", "hôm qua")[i % 3]
        elif kind == 1:
            cells.loc[row, columns["category"]] = ("???", "Việc khác nữa", "abc")[i % 3]
        elif kind == 2 and cells.loc[row, columns["lat"]] != "":  # swapped columns
            lat, lon = cells.loc[row, columns["lat"]], cells.loc[row, columns["lon"]]
            cells.loc[row, columns["lat"]], cells.loc[row, columns["lon"]] = lon, lat
        elif kind == 3:
            cells.loc[row, [columns["lat"], columns["lon"]]] = ["48.8566", "2.3522"]  # Paris
        elif kind == 4:
            cells.loc[row, [columns["lat"], columns["lon"], columns["address"]]] = ["", "", ""]
        elif kind == 5:
            cells.loc[row, [columns["lat"], columns["lon"]]] = ["", ""]
            cells.loc[row, columns["address"]] = "Khu vực chợ đêm"  # names no commune
        elif kind == 6 and row > 0:
            cells.loc[row, columns["ref"]] = cells.loc[row - 1, columns["ref"]]
    return cells


def incident_cells(area: Area, frame: pd.DataFrame, rng) -> pd.DataFrame:
    """Incidents as officers' spreadsheet cells (text), with ~1 % bad rows."""
    n = len(frame)
    pos, lon, lat = (
        frame["commune_pos"].to_numpy(),
        frame["lon"].to_numpy(),
        frame["lat"].to_numpy(),
    )
    address = _addresses(area, pos, lon, lat, rng)
    with_point = rng.random(n) < 0.4
    keep_address = ~with_point | (rng.random(n) < 0.7)
    category, detail = _category_cells(frame, rng)
    communes = area.communes["full_name"].to_numpy()[pos]
    cells = pd.DataFrame(
        {
            "STT": np.arange(1, n + 1).astype(str), "Mã vụ việc": frame["ref"],
            "Ngày xảy ra": _local_text(frame["occurred_local"], rng),
            "Loại vụ việc": category, "Tóm tắt": detail,
            "Địa chỉ": np.where(keep_address, address, ""),
            "Vĩ độ": np.where(with_point, np.round(lat, 6).astype(str), ""),
            "Kinh độ": np.where(with_point, np.round(lon, 6).astype(str), ""),
            "Đơn vị thụ lý": ["Công an " + c for c in communes],
            "Người báo tin": np.array(INFORMANTS)[rng.integers(len(INFORMANTS), size=n)],
            "Dữ liệu mô phỏng": SYNTHETIC,
        }
    )  # fmt: skip
    names = {"date": "Ngày xảy ra", "category": "Loại vụ việc", "lat": "Vĩ độ", "lon": "Kinh độ",
             "address": "Địa chỉ", "ref": "Mã vụ việc"}  # fmt: skip
    return _spoil(cells, rng, 0.01, names)


def site_cells(area: Area, sites: pd.DataFrame, rng) -> pd.DataFrame:
    """Sites as a provincial police spreadsheet, with three bad rows."""
    n = len(sites)
    pos = sites["commune_pos"].to_numpy()
    address = _addresses(area, pos, sites["lon"].to_numpy(), sites["lat"].to_numpy(), rng)
    with_point = rng.random(n) < 0.7
    kinds = {"commune": "Xã, phường", "village": "Thôn, tổ dân phố", "clan": "Dòng họ",
             "religious": "Cơ sở tôn giáo", "organisation": "Tổ chức CT-XH"}  # fmt: skip
    statuses = {"planned": "Kế hoạch", "replicated": "Nhân rộng", "suspended": "Tạm dừng"}
    components = [
        "Tất cả" if len(c) == 5 and rng.random() < 0.5 else ", ".join(map(str, c))
        for c in sites["components"]
    ]
    day = lambda d: "" if d is None or pd.isna(d) else d.strftime("%d/%m/%Y")  # noqa: E731
    cells = pd.DataFrame(
        {
            "STT": np.arange(1, n + 1).astype(str), "Mã mô hình": sites["ref"],
            "Tên mô hình": sites["name"], "Loại mô hình": sites["kind"].map(kinds),
            "Nội dung tự quản": components, "Trạng thái": sites["status"].map(statuses),
            "Thí điểm": np.where(sites["is_pilot"], "x", ""),
            "Ngày bắt đầu": sites["started_on"].map(day),
            "Ngày chuyển trạng thái": sites["status_on"].map(day),
            "Đơn vị chủ trì": sites["host_unit"], "Địa chỉ": address,
            "Vĩ độ": np.where(with_point, np.round(sites["lat"], 6).astype(str), ""),
            "Kinh độ": np.where(with_point, np.round(sites["lon"], 6).astype(str), ""),
            "Người phụ trách": np.array(INFORMANTS)[rng.integers(len(INFORMANTS), size=n)],
            "Ghi chú": "", "Dữ liệu mô phỏng": SYNTHETIC,
        }
    )  # fmt: skip
    bad = sorted(rng.choice(np.arange(22, n), size=3, replace=False))  # pilots stay intact
    cells.loc[bad[0], "Loại mô hình"] = "Khu công nghiệp"
    cells.loc[bad[1], "Ngày bắt đầu"] = "32/13/2022"
    cells.loc[bad[2], "Tên mô hình"] = ""
    return cells


def _write_csv(cells: pd.DataFrame, path: Path) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:  # Excel's "CSV UTF-8"
        writer = csv.writer(fh)
        writer.writerow(cells.columns)
        writer.writerows(cells.itertuples(index=False, name=None))


def _write_xlsx(cells: pd.DataFrame, path: Path, title: str, dates: tuple[str, ...] = ()) -> None:
    """A workbook with a title row above the header; date columns as real Excel dates."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Dữ liệu")
    sheet.append([title])
    sheet.append([])
    sheet.append(list(cells.columns))
    # Rows typed as dd/mm/yyyy hh:mm become real Excel dates; the other forms stay text.
    parsed = {
        cells.columns.get_loc(c): pd.to_datetime(cells[c], format="%d/%m/%Y %H:%M", errors="coerce")
        for c in dates
    }
    for n, values in enumerate(cells.itertuples(index=False, name=None)):
        row = list(values)
        for i, when in parsed.items():
            if not pd.isna(when.iloc[n]):
                cell = WriteOnlyCell(sheet, value=when.iloc[n].to_pydatetime())
                cell.number_format = "dd/mm/yyyy hh:mm"
                row[i] = cell
        sheet.append(row)
    book.save(path)


def write_demo_files(
    engine, province: str = "37", out: Path | None = None, seed: int = 2020, incidents: int = 20_000
) -> dict[str, Path]:
    """Generate the demo sites and incidents of ``province`` into ``out``; the files written."""
    out = Path(out or PROJECT_ROOT / ".tuquan" / "demo")
    out.mkdir(parents=True, exist_ok=True)
    area = load_area(engine, province)
    rng = np.random.default_rng(seed)
    sites = rollout(area, rng)
    frame = make_incidents(area, int(incidents * 1.03), rng)  # a few fall outside: dropped
    title = TITLE.format(seed=seed)
    files = {
        "sites": out / "demo_sites.xlsx",
        "incidents_csv": out / "demo_incidents_2020_2022.csv",
        "incidents_xlsx": out / "demo_incidents_2023_2025.xlsx",
    }
    _write_xlsx(site_cells(area, sites, rng), files["sites"], title)
    cells = incident_cells(area, frame, rng)
    early = (frame["occurred_local"].dt.year <= 2022).to_numpy()
    _write_csv(cells[early], files["incidents_csv"])
    _write_xlsx(cells[~early].reset_index(drop=True), files["incidents_xlsx"], title,
                dates=("Ngày xảy ra",))  # fmt: skip
    (out / "README.txt").write_text(
        f"{title}\nProvince {province} "
        f"({area.province_name}); import with `tuquan import sites|incidents FILE`.\n",
        encoding="utf-8",
    )
    return files
