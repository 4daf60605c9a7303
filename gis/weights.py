"""Spatial weights: commune contiguity built once per boundary version and kept in PostGIS.

Queen contiguity of the 3,321 national communes takes seconds to build (libpysal ~7 s
here), while Gi* itself takes a fraction of a second, so the pairs are kept in
``commune_neighbour`` keyed by ``gis.boundaries.boundary_version`` and read back warm.
Neighbours is decided by shapely's vectorised ``dwithin`` in EPSG:32648 with a 1 m
tolerance (PostGIS ``ST_DWithin`` on the same polygons took minutes; exact vertex
matching misses neighbours across sub-metre slivers of full-resolution files).

Communes with no neighbour (islands such as Côn Đảo or Bạch Long Vĩ) are linked to their
nearest commune by polygon distance and flagged, so that their Gi* compares them with
somewhere real instead of with themselves alone.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from gis.boundaries import boundary_version
from gis.errors import InputError

METRIC_CRS = 32648  # VN-2000 / UTM 48N's WGS 84 sibling: metres across Vietnam
TOLERANCE_M = 1.0
ISLAND_POLICIES = ("nearest", "exclude")
_LOCK_KEY = 5_000_001  # advisory lock: one build at a time per database


@dataclass
class Neighbours:
    """Binary symmetric neighbours of a set of units (contiguity or distance band, no diagonal)."""

    codes: np.ndarray
    adjacency: sp.csr_matrix
    own_neighbours: np.ndarray  # neighbours found inside this set, before island links
    island: np.ndarray  # True where a unit had no neighbour of its own inside the set

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def neighbours(self) -> np.ndarray:
        """Neighbour count of each commune as used (island links included)."""
        return np.diff(self.adjacency.indptr)

    def graph(self):
        """The same weights as a libpysal Graph (binary), for esda."""
        from libpysal.graph import Graph

        return Graph.from_sparse(self.adjacency.tocsr(), ids=self.codes)


def distance_band(ids: np.ndarray, x_m: np.ndarray, y_m: np.ndarray, band_m: float) -> Neighbours:
    """Units within ``band_m`` metres of each other (metric coordinates) are neighbours."""
    from scipy.spatial import cKDTree

    points = np.column_stack([x_m, y_m])
    pairs = cKDTree(points).query_pairs(band_m, output_type="ndarray")
    n = len(ids)
    left, right = np.r_[pairs[:, 0], pairs[:, 1]], np.r_[pairs[:, 1], pairs[:, 0]]
    adjacency = sp.csr_matrix((np.ones(len(left)), (left, right)), shape=(n, n))
    adjacency.sort_indices()
    count = np.diff(adjacency.indptr)
    return Neighbours(np.asarray(ids, dtype=object), adjacency, count, count == 0)


def _copy_rows(conn: Connection, table: str, columns: tuple[str, ...], rows) -> None:
    raw = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)


def _build(conn: Connection, version: int) -> None:
    started = time.perf_counter()
    rows = conn.execute(
        sa.text(
            "SELECT code, ST_AsBinary(ST_Transform(geom, :srid)) FROM admin_unit "
            "WHERE level = 'commune' ORDER BY code"
        ),
        {"srid": METRIC_CRS},
    ).all()
    codes = np.array([r[0] for r in rows], dtype=object)
    geoms = shapely.from_wkb([bytes(r[1]) for r in rows]) if rows else np.array([], object)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=TOLERANCE_M)
    keep = left != right
    left, right = left[keep], right[keep]
    has_neighbour = np.zeros(len(codes), dtype=bool)
    has_neighbour[left] = True
    islands = np.flatnonzero(~has_neighbour)
    pairs = [(codes[a], codes[b], "queen", 0.0) for a, b in zip(left, right, strict=True)]
    if len(islands) and len(codes) > 1:
        src, dst = tree.query_nearest(geoms[islands], return_distance=False, exclusive=True)
        dist = shapely.distance(geoms[islands[src]], geoms[dst])
        nearest = {}
        for i, j, d in zip(islands[src], dst, dist, strict=True):
            # both directions, and the first answer only when several are equally near
            nearest.setdefault((codes[i], codes[j]), float(d))
            nearest.setdefault((codes[j], codes[i]), float(d))
        pairs += [(a, b, "nearest", d) for (a, b), d in nearest.items()]
    conn.execute(
        sa.text(
            "INSERT INTO neighbour_build (boundary_version, communes, queen_pairs, islands, "
            "tolerance_m, seconds) VALUES (:v, :n, :q, :i, :t, 0)"
        ),
        {"v": version, "n": len(codes), "q": int(keep.sum()) // 2, "i": len(islands),
         "t": TOLERANCE_M},
    )  # fmt: skip
    _copy_rows(
        conn,
        "commune_neighbour",
        ("boundary_version", "code", "neighbour_code", "kind", "distance_m"),
        ((version, *p) for p in pairs),
    )
    conn.execute(
        sa.text("UPDATE neighbour_build SET seconds = :s WHERE boundary_version = :v"),
        {"s": time.perf_counter() - started, "v": version},
    )


def ensure_contiguity(engine: Engine) -> int:
    """Build the commune contiguity for the current boundary version unless kept; its version."""
    version = boundary_version(engine)
    with engine.connect() as conn:
        if conn.scalar(
            sa.text("SELECT 1 FROM neighbour_build WHERE boundary_version = :v"), {"v": version}
        ):
            return version
    with engine.begin() as conn:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        version = conn.scalar(sa.text("SELECT coalesce(max(id), 0) FROM boundary_source"))
        if not conn.scalar(
            sa.text("SELECT 1 FROM neighbour_build WHERE boundary_version = :v"), {"v": version}
        ):
            conn.execute(sa.text("DELETE FROM neighbour_build WHERE boundary_version <> :v"),
                         {"v": version})  # fmt: skip
            _build(conn, version)
    return version


def commune_contiguity(
    engine: Engine, codes: list[str] | np.ndarray, islands: str = "nearest"
) -> Neighbours:
    """Neighbours among ``codes`` (any subset of the loaded communes), islands per policy.

    ``islands='nearest'`` links each commune without a neighbour inside the set to the
    nearest commune of the set (both ways); ``'exclude'`` leaves it without neighbours
    (its statistics are then reported as missing).
    """
    if islands not in ISLAND_POLICIES:
        raise InputError(
            f"unknown island policy {islands!r}", f"use one of {', '.join(ISLAND_POLICIES)}"
        )
    ordered = np.array(sorted(set(codes)), dtype=object)
    version = ensure_contiguity(engine)
    with engine.connect() as conn:
        pairs = conn.execute(
            sa.text(
                "SELECT n.code, n.neighbour_code FROM commune_neighbour n "
                "JOIN unnest(CAST(:codes AS text[])) a(code) ON a.code = n.code "
                "JOIN unnest(CAST(:codes AS text[])) b(code) ON b.code = n.neighbour_code "
                "WHERE n.boundary_version = :v AND n.kind = 'queen'"
            ),
            {"v": version, "codes": list(ordered)},
        ).all()
    n = len(ordered)
    left = np.searchsorted(ordered, np.array([p[0] for p in pairs], dtype=object))
    right = np.searchsorted(ordered, np.array([p[1] for p in pairs], dtype=object))
    queen = sp.csr_matrix((np.ones(len(pairs)), (left, right)), shape=(n, n))
    queen_count = np.diff(queen.indptr)
    is_island = queen_count == 0
    adjacency = queen
    if islands == "nearest" and is_island.any() and n > 1:
        links = _island_links(engine, version, ordered, ordered[is_island])
        a = np.searchsorted(ordered, np.array([x for x, _ in links], dtype=object))
        b = np.searchsorted(ordered, np.array([y for _, y in links], dtype=object))
        extra = sp.csr_matrix((np.ones(2 * len(links)), (np.r_[a, b], np.r_[b, a])), shape=(n, n))
        adjacency = queen + extra
        adjacency.data[:] = 1.0  # binary, even where a link doubled a queen pair
    adjacency = sp.csr_matrix(adjacency)
    adjacency.sort_indices()
    return Neighbours(ordered, adjacency, queen_count, is_island)


def _island_links(
    engine: Engine, version: int, members: np.ndarray, islands: np.ndarray
) -> list[tuple[str, str]]:
    """Nearest member (by polygon distance, in metres) of each island of a subset."""
    with engine.connect() as conn:
        kept = conn.execute(
            sa.text(
                "SELECT code, neighbour_code FROM commune_neighbour WHERE boundary_version = :v "
                "AND kind = 'nearest' AND code = ANY(:islands) AND neighbour_code = ANY(:members)"
            ),
            {"v": version, "islands": list(islands), "members": list(members)},
        ).all()
    linked = {a for a, _ in kept}
    rest = [c for c in islands if c not in linked]
    if not rest:
        return [(a, b) for a, b in kept]
    islands = np.array(rest, dtype=object)
    sql = sa.text(
        """
        SELECT a.code, n.code
          FROM admin_unit a
          CROSS JOIN LATERAL (
                SELECT b.code FROM admin_unit b
                 WHERE b.code = ANY(:members) AND b.code <> a.code
                 ORDER BY a.geom <-> b.geom, b.code
                 LIMIT 8) n
         WHERE a.code = ANY(:islands)
        """
    )
    with engine.connect() as conn:
        rows = conn.execute(sql, {"members": list(members), "islands": list(islands)}).all()
        # the index order is by bounding boxes in degrees: re-rank the few closest exactly
        exact = conn.execute(
            sa.text(
                "SELECT a.code, b.code, ST_Distance(ST_Transform(a.geom, :srid), "
                "ST_Transform(b.geom, :srid)) FROM admin_unit a, admin_unit b "
                "WHERE (a.code, b.code) IN (SELECT * FROM unnest(CAST(:a AS text[]), "
                "CAST(:b AS text[])))"
            ),
            {"srid": METRIC_CRS, "a": [r[0] for r in rows], "b": [r[1] for r in rows]},
        ).all()
    best: dict[str, tuple[float, str]] = {}
    for a, b, d in exact:
        if a not in best or (d, b) < best[a]:
            best[a] = (d, b)
    return [(a, b) for a, b in kept] + [(a, b) for a, (_, b) in sorted(best.items())]
