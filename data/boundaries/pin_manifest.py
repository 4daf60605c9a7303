"""Maintainer tool: write manifest.json from a byte-identical mirror of the pinned origin.

    python data/boundaries/pin_manifest.py ../shared/data/vietnamese-provinces-database

Records the relative path and sha256 of every province outline and commune file found in
the mirror; `tuquan boundaries fetch` then downloads exactly these bytes from the origin.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPOSITORY = "thanglequoc/vietnamese-provinces-database"
COMMIT = "cd58063299585146ded3981f2272946ef19ced54"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(mirror: Path) -> None:
    provinces = {}
    for outline in sorted(mirror.glob("json/geojson/*/*.geojson")):
        code = outline.parent.name.split("_", 1)[0]
        communes = [
            {
                "code": f.name.split("_", 1)[0],
                "path": str(f.relative_to(mirror)),
                "sha256": sha256(f),
            }
            for f in sorted(outline.parent.glob("wards/*.geojson"))
        ]
        provinces[code] = {
            "outline": {"path": str(outline.relative_to(mirror)), "sha256": sha256(outline)},
            "communes": communes,
        }
    manifest = {
        "sources": [
            {
                "id": "vn-units-2025",
                "name": "Đơn vị hành chính hai cấp (từ 01/7/2025) — two-tier units",
                "repository": REPOSITORY,
                "commit": COMMIT,
                "base_url": f"https://raw.githubusercontent.com/{REPOSITORY}/{COMMIT}/",
                "licence": "MIT",
                "licence_file": {"path": "LICENSE", "sha256": sha256(mirror / "LICENSE")},
                "attribution": (
                    "Bản đồ: NXB Tài nguyên – Môi trường và Bản đồ Việt Nam "
                    "(sapnhap.bando.com.vn), tổng hợp bởi "
                    "thanglequoc/vietnamese-provinces-database "
                    "(MIT)"
                ),
                "valid_from": "2025-07-01",
                "properties": {
                    "code": "code",
                    "name": "name",
                    "full_name": "fullName",
                    "name_en": "nameEn",
                },
                "provinces": provinces,
            }
        ]
    }
    out = HERE / "manifest.json"
    out.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    n = sum(len(p["communes"]) for p in provinces.values())
    print(f"wrote {out}: {len(provinces)} provinces, {n} commune files")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
