"""The record collections (sites, incidents) and the registration of every built-in one.

Imported by gis.features on first use of the registry: the collections here and those of
gis.feature_results are then listed beside provinces and communes. Attributes are plain
scalars (vector tiles carry no arrays): components as '1,2,5' plus their count.
"""

from __future__ import annotations

from gis.feature_results import RESULT_COLLECTIONS
from gis.features import Collection, register

SITES = Collection(
    id="sites",
    title="Mô hình 5 tự quản / Sites of the model",
    description=(
        "Sites running (or planned to run) the model: kind, status, components, start date, "
        "host unit; datetime filters the start date."
    ),
    source=(
        "SELECT s.id AS fid, s.name, s.kind, s.status, cardinality(s.components) AS "
        "component_count, array_to_string(s.components, ',') AS components, s.started_on, "
        "s.host_unit, s.commune_code, s.province_code, s.is_synthetic, s.geom FROM site s"
    ),
    properties=(
        "name",
        "kind",
        "status",
        "component_count",
        "components",
        "started_on",
        "host_unit",
        "commune_code",
        "province_code",
        "is_synthetic",
    ),
    datetime_column="started_on",
)

# Points of incidents: officers and admins only, inside their scope. No address, no
# reference and no person: what happened, when, where (the point) and how precisely.
INCIDENTS = Collection(
    id="incidents",
    title="Vụ việc / Incidents",
    description=(
        "Incident points (officers and admins, within their scope): category, time, "
        "precision of the location, commune. No names and no addresses."
    ),
    source=(
        "SELECT i.id AS fid, i.category, i.subcategory, i.occurred_at, i.precision, "
        "i.commune_code, i.province_code, i.is_synthetic, i.geom FROM incident i"
    ),
    properties=(
        "category",
        "subcategory",
        "occurred_at",
        "precision",
        "commune_code",
        "province_code",
        "is_synthetic",
    ),
    datetime_column="occurred_at",
    sensitive=True,
)

for _collection in (SITES, INCIDENTS, *RESULT_COLLECTIONS):
    register(_collection)
