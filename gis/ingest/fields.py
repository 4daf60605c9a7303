"""The fields an import understands, and how column headers in a file are recognised.

A header is compared on its compact folded form ("Vĩ độ (lat)" → "vidolat"), whole or by
its parts around brackets and slashes ("Vĩ độ / Latitude" → "vido", "latitude"). A mapping
given by the user (field → header) wins over recognition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gis.errors import InputError
from gis.normalise import compact

KINDS = ("sites", "incidents")


@dataclass(frozen=True)
class Field:
    """One thing a row can tell: its key, a label for reports and the headers that mean it."""

    key: str
    label: str  # Vietnamese / English, for messages
    headers: tuple[str, ...]


def _f(key: str, label: str, *headers: str) -> Field:
    return Field(key, label, tuple(compact(h) for h in headers))


_REF = ("mã", "mã số", "số hiệu", "id", "ref", "reference", "code", "external ref")
_ADDRESS = ("địa chỉ", "địa điểm", "nơi xảy ra", "địa bàn", "address", "location", "place")
_LAT = ("vĩ độ", "lat", "latitude", "y")
_LON = ("kinh độ", "lon", "lng", "long", "longitude", "x")
_COORDS = ("tọa độ", "toạ độ", "tọa độ gps", "gps", "coordinates", "lat lon", "lat lng")
_SYNTHETIC = ("dữ liệu mô phỏng", "mô phỏng", "synthetic", "is synthetic", "demo")
_SOURCE = ("nguồn", "nguồn tin", "nguồn dữ liệu", "source")

INCIDENT_FIELDS: tuple[Field, ...] = (
    _f("ref", "Mã vụ việc / reference", *_REF, "mã vụ việc", "mã vụ", "mã vv", "số vụ",
       "case id", "case no", "case number", "incident id"),
    _f("occurred_at", "Ngày xảy ra / date", "ngày", "ngày xảy ra", "thời gian", "thời gian xảy ra",
       "ngày giờ", "ngày giờ xảy ra", "ngày vụ việc", "date", "datetime", "date time", "time",
       "occurred at", "occurred"),
    _f("time_of_day", "Giờ / time", "giờ", "giờ xảy ra", "thời điểm", "hour", "time of day"),
    _f("category", "Loại vụ việc / category", "loại", "loại vụ việc", "loại vụ", "phân loại",
       "lĩnh vực", "nhóm", "nhóm vụ việc", "tính chất", "category", "type", "incident type"),
    _f("subcategory", "Chi tiết / subcategory", "chi tiết", "nội dung", "tội danh", "hành vi",
       "mô tả", "tóm tắt", "loại chi tiết", "subcategory", "description", "details"),
    _f("address", "Địa chỉ / address", *_ADDRESS),
    _f("lat", "Vĩ độ / latitude", *_LAT),
    _f("lon", "Kinh độ / longitude", *_LON),
    _f("coords", "Tọa độ / coordinates", *_COORDS),
    _f("source", "Nguồn / source", *_SOURCE),
    _f("synthetic", "Dữ liệu mô phỏng / synthetic", *_SYNTHETIC),
)  # fmt: skip

SITE_FIELDS: tuple[Field, ...] = (
    _f("ref", "Mã mô hình / reference", *_REF, "mã mô hình", "site id"),
    _f("name", "Tên mô hình / name", "tên mô hình", "tên", "mô hình", "tên mô hình tự quản",
       "name", "site", "site name"),
    _f("kind", "Loại mô hình / kind", "loại", "loại mô hình", "loại hình", "cấp", "kind", "type",
       "site kind"),
    _f("components", "Nội dung tự quản / components", "nội dung", "nội dung tự quản",
       "thành phần", "các nội dung", "lĩnh vực", "nội dung thực hiện", "components"),
    _f("status", "Trạng thái / status", "trạng thái", "tình trạng", "giai đoạn", "status"),
    _f("started_on", "Ngày bắt đầu / start date", "ngày bắt đầu", "ngày thực hiện", "ngày ra mắt",
       "ngày thành lập", "ngày triển khai", "ngày", "start date", "started", "started on", "date"),
    _f("status_on", "Ngày chuyển trạng thái / status date", "ngày chuyển trạng thái",
       "ngày cập nhật", "ngày thay đổi", "ngày cập nhật trạng thái", "status date",
       "status changed", "status on"),
    _f("is_pilot", "Thí điểm / pilot", "thí điểm", "mô hình điểm", "pilot", "is pilot"),
    _f("host_unit", "Đơn vị chủ trì / host unit", "đơn vị chủ trì", "đơn vị", "đơn vị phụ trách",
       "đơn vị công an", "công an", "host unit", "police unit", "unit"),
    _f("address", "Địa chỉ / address", *_ADDRESS),
    _f("lat", "Vĩ độ / latitude", *_LAT),
    _f("lon", "Kinh độ / longitude", *_LON),
    _f("coords", "Tọa độ / coordinates", *_COORDS),
    _f("notes", "Ghi chú / notes", "ghi chú", "ghi chu", "notes", "note", "remarks"),
    _f("synthetic", "Dữ liệu mô phỏng / synthetic", *_SYNTHETIC),
)  # fmt: skip

# Columns that hold people's names or identities: never imported (told in the report).
PERSONAL_HEADERS = tuple(
    compact(h)
    for h in (
        "họ tên", "họ và tên", "người vi phạm", "đối tượng", "tên đối tượng", "bị hại",
        "người bị hại", "nạn nhân", "người báo tin", "người phụ trách", "trưởng ban",
        "người liên hệ", "cmnd", "cccd", "số cmnd", "số cccd", "số điện thoại", "sđt", "điện thoại",
        "full name", "person", "suspect", "victim", "offender name", "phone", "contact",
    )
)  # fmt: skip
INCIDENT_PERSONAL_ONLY = (compact("tên"), compact("name"))  # a name column of an incident


def fields_for(kind: str) -> tuple[Field, ...]:
    """The fields of 'sites' or 'incidents'."""
    if kind not in KINDS:
        raise InputError(f"unknown record kind {kind!r}", "use 'sites' or 'incidents'")
    return SITE_FIELDS if kind == "sites" else INCIDENT_FIELDS


def header_keys(header: str) -> list[str]:
    """Compact forms a header may be known by: whole, then its parts."""
    keys = [compact(header)]
    for part in re.split(r"[()\[\]/|\n]+", header):
        key = compact(part)
        if key and key not in keys:
            keys.append(key)
    return keys


def is_personal(kind: str, header: str) -> bool:
    """True when a column holds personal names or identities ("Họ tên người báo tin")."""
    keys = header_keys(header)
    if kind == "incidents" and any(k in INCIDENT_PERSONAL_ONLY for k in keys):
        return True
    return any(p in k for k in keys for p in PERSONAL_HEADERS)


def recognise(kind: str, headers: list[str]) -> dict[str, int]:
    """Field key → position of the column that holds it (first recognised header wins)."""
    found: dict[str, int] = {}
    for pos, header in enumerate(headers):
        if not header or is_personal(kind, header):
            continue
        for key in header_keys(header):
            field = next((f for f in fields_for(kind) if key in f.headers), None)
            if field is not None:
                found.setdefault(field.key, pos)
                break
    return found


def apply_mapping(
    kind: str, headers: list[str], found: dict[str, int], mapping: dict[str, str]
) -> dict[str, int]:
    """``found`` with the user's field → header choices applied (checked against the file)."""
    known = {f.key for f in fields_for(kind)}
    by_key = {compact(h): i for i, h in reversed(list(enumerate(headers))) if h}
    out = dict(found)
    for field, header in mapping.items():
        if field not in known:
            raise InputError(
                f"--mapping names an unknown field {field!r}",
                f"fields of {kind}: {', '.join(sorted(known))}",
            )
        pos = by_key.get(compact(header))
        if pos is None:
            raise InputError(
                f"--mapping {field}={header}: the file has no column {header!r}",
                "columns in the file: " + ", ".join(repr(h) for h in headers if h),
            )
        out = {k: v for k, v in out.items() if v != pos}  # one column, one field
        out[field] = pos
    return out


def parse_mapping(items: list[str] | None) -> dict[str, str]:
    """'field=Header' items (or one JSON object of them in a file) → a dict."""
    import json
    from pathlib import Path

    mapping: dict[str, str] = {}
    for item in items or []:
        if "=" not in item and Path(item).is_file():
            try:
                mapping.update(
                    {str(k): str(v) for k, v in json.loads(Path(item).read_text()).items()}
                )
            except (ValueError, AttributeError) as exc:
                raise InputError(
                    f"--mapping file {item} is not a JSON object: {exc}",
                    'write it as {"field": "Header in the file", ...}',
                ) from None
            continue
        field, sep, header = item.partition("=")
        if not sep or not field.strip() or not header.strip():
            raise InputError(
                f"--mapping {item!r} is not field=Header",
                'e.g. --mapping "occurred_at=Ngày phát hiện" --mapping "category=Nhóm"',
            )
        mapping[field.strip()] = header.strip()
    return mapping
