"""Analysis at national scale: tuquan beside the naive in-memory path, same run, same data.

3,321 communes (../shared/data/national) and 1,000,000 synthetic incidents in the database
``tuquan_bench_analysis`` (made on first use, then kept). Each step is timed the tuquan way
and the naive way (read everything with geopandas, ``sjoin``, libpysal weights, esda), and
the ratio naive / tuquan printed. Results of both are compared where they should agree.

    .venv/bin/python -m bench analysis        (or `make bench` for every benchmark)
"""

from __future__ import annotations

import os
import warnings
from datetime import date

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import sqlalchemy as sa

from bench._analysis_data import INCIDENTS, bench_engine
from bench._report import Section, Stats, repeat, stats
from gis.commune_index import CommuneIndex
from gis.coverage import commune_coverage
from gis.domain import ACTIVE_STATUSES, FINER_THAN_COMMUNE
from gis.hotspots import commune_hotspots
from gis.hotspots_grid import grid_hotspots
from gis.planning import rank_candidates
from gis.weights import METRIC_CRS

AS_OF = date(2025, 7, 1)
RUNS = int(os.environ.get("BENCH_ANALYSIS_RUNS", 2))  # 1M incidents: some steps take a minute
ROWS: list[tuple[str, Stats, Stats | None]] = []
SECTION = Section("analysis", "National analysis vs geopandas + esda")


def timed(fn, runs: int = RUNS):
    """(last value, Stats of ``runs`` timings)."""
    measured, value = repeat(fn, runs)
    return value, measured


def report(step: str, ours: Stats, peer: Stats | None) -> None:
    ROWS.append((step, ours, peer))
    ratio = f"{peer.median / ours.median:6.1f}×" if peer else "     —"
    naive = f"{peer.median:8.2f} s" if peer else "       —  "
    print(f"{step:<44} tuquan {ours.median:8.2f} s   naive {naive}   ratio {ratio}", flush=True)


def _read(engine, sql: str) -> gpd.GeoDataFrame:
    with engine.connect() as conn:
        return gpd.read_postgis(sa.text(sql), conn, geom_col="geom")


def assignment(engine) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Incidents → communes: PostGIS join, the STRtree index, geopandas sjoin."""

    def postgis(subdivided: bool):
        # ST_Subdivide: point-in-polygon against pieces of ≤ 64 vertices, each in the index
        source = (
            "(SELECT code, ST_Subdivide(geom, 64) AS geom FROM admin_unit WHERE level = 'commune')"
            if subdivided
            else "(SELECT code, geom FROM admin_unit WHERE level = 'commune')"
        )
        with engine.begin() as conn:
            create = f"CREATE TEMP TABLE pieces ON COMMIT DROP AS SELECT * FROM {source} s"  # noqa: S608
            conn.execute(sa.text(create))
            conn.execute(sa.text("CREATE INDEX ON pieces USING gist (geom)"))
            conn.execute(sa.text("ANALYZE pieces"))
            conn.execute(sa.text(
                "CREATE TEMP TABLE assigned ON COMMIT DROP AS "
                "SELECT DISTINCT ON (i.id) i.id, p.code "
                "FROM incident i JOIN pieces p ON ST_Intersects(p.geom, i.geom) "
                "ORDER BY i.id, p.code"
            ))  # fmt: skip
            return conn.scalar(sa.text("SELECT count(*) FROM assigned"))

    _, t_pg = timed(lambda: postgis(False))
    joined, t_pg_sub = timed(lambda: postgis(True))

    def read_points():
        with engine.connect() as conn:
            blob = conn.scalar(sa.text("SELECT ST_AsBinary(ST_Collect(geom ORDER BY id)) "
                                       "FROM incident"))  # fmt: skip
        import shapely

        return shapely.get_coordinates(shapely.from_wkb(bytes(blob)))

    xy, t_read = timed(read_points)
    index, t_build = timed(lambda: CommuneIndex.from_engine(engine))
    codes, t_lookup = timed(lambda: index.commune_codes(xy[:, 0], xy[:, 1]))
    t_index = stats(sum(v) for v in zip(t_read.values, t_build.values, t_lookup.values,
                                        strict=True))  # fmt: skip
    SECTION.line(f"- STRtree: read {t_read.median:.1f} s, index {t_build.median:.1f} s, "
                 f"lookup {t_lookup.median:.1f} s (medians)")  # fmt: skip

    def naive():
        points = _read(engine, "SELECT id, category, precision, commune_code, occurred_at, geom "
                               "FROM incident ORDER BY id")  # fmt: skip
        communes = _read(engine, "SELECT code, parent_code, area_km2, geom FROM admin_unit "
                                 "WHERE level = 'commune'")  # fmt: skip
        return gpd.sjoin(points, communes, predicate="within", how="left"), communes

    (points, communes), t_naive = timed(naive)
    report("assign 1M incidents to communes (PostGIS join)", t_pg, t_naive)
    report("assign 1M incidents (PostGIS, subdivided)", t_pg_sub, t_naive)
    report("assign 1M incidents to communes (STRtree)", t_index, t_naive)
    found = points.drop_duplicates("id")["code"].to_numpy()
    agree = (found == codes).mean()
    SECTION.line(f"- agreement: PostGIS {joined:,} joined; index vs sjoin {agree:.4%} identical")
    return points.drop_duplicates("id"), communes


def naive_coverage(engine) -> pd.DataFrame:
    with engine.connect() as conn:
        sites = pd.read_sql(sa.text("SELECT id, commune_code, kind, components, status, "
                                    "started_on FROM site"), conn)  # fmt: skip
        history = pd.read_sql(sa.text("SELECT * FROM site_status_history"), conn)
        units = pd.read_sql(sa.text("SELECT code, parent_code FROM admin_unit "
                                    "WHERE level = 'commune'"), conn)  # fmt: skip
    history = history[history["changed_on"] <= AS_OF].sort_values("changed_on")
    last = history.groupby("site_id")["status"].last()
    status = sites["id"].map(last)
    no_history = ~sites["id"].isin(history["site_id"])
    started = pd.to_datetime(sites["started_on"]).dt.date
    status = status.where(~no_history, sites["status"].where(started <= AS_OF))
    active = sites[status.isin(ACTIVE_STATUSES)]
    per = units.set_index("code")
    per["active_sites"] = active.groupby("commune_code").size().reindex(per.index, fill_value=0)
    per["covered"] = per["active_sites"] > 0
    comps = active[["commune_code", "components"]].explode("components")
    per["component_count"] = (
        comps.groupby("commune_code")["components"].nunique().reindex(per.index, fill_value=0)
    )
    return per.reset_index()


def coverage(engine) -> pd.DataFrame:
    ours, t_ours = timed(lambda: commune_coverage(engine, None, AS_OF))
    naive, t_naive = timed(lambda: naive_coverage(engine))
    report("coverage of 3,321 communes (as of a date)", t_ours, t_naive)
    theirs = naive.set_index("code")["covered"].reindex(ours["code"]).to_numpy()
    same = (ours["covered"].to_numpy() == theirs).mean()
    SECTION.line(f"- covered communes {ours['covered'].sum():,}; same answer for {same:.2%}")
    return naive


def gi_star(engine, points, communes) -> None:
    import esda
    from libpysal.weights import Queen

    def cold():
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM neighbour_build"))
        return commune_hotspots(engine)

    _, t_cold = timed(cold)
    report("Gi* communes, cold (contiguity built, kept)", t_cold, None)
    ours, t_warm = timed(lambda: commune_hotspots(engine))

    def naive(permutations):
        kept = points[points["precision"] != "province"]
        counts = kept.groupby("code").size().reindex(communes["code"], fill_value=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = Queen.from_dataframe(communes, ids=communes["code"].tolist(), use_index=False)
            g = esda.G_Local(counts.to_numpy(float), w, transform="B", star=True,
                             permutations=permutations, n_jobs=1, seed=1)  # fmt: skip
        return pd.Series(g.Zs, index=communes["code"])

    naive_z, t_naive = timed(lambda: naive(0))
    report("Gi* communes, warm, analytic p", t_warm, t_naive)
    _, t_perm = timed(lambda: commune_hotspots(engine, permutations=999))
    _, t_naive_perm = timed(lambda: naive(999))
    report("Gi* communes, warm, 999 permutations", t_perm, t_naive_perm)
    diff = (ours.set_index("code")["z"] - naive_z).abs()
    SECTION.line(f"- z within 1e-3 of the naive path for {(diff < 1e-3).mean():.2%} of communes "
          "(the "
          "rest: islands linked to their nearest commune, neighbours across sub-metre slivers, "
          "a few points on shared edges)")  # fmt: skip
    from gis.hotspots import hotspots_result

    hotspots_result(engine)
    _, t_kept = timed(lambda: hotspots_result(engine))
    report("Gi* communes, kept result (inputs unchanged)", t_kept, t_naive)


def grid(engine, points) -> None:
    import esda
    from libpysal.weights import DistanceBand

    ours, t_ours = timed(lambda: grid_hotspots(engine))
    resolution, band = ours.attrs["resolution"], ours.attrs["band_m"]

    def naive():
        fine = points[points["precision"].isin(FINER_THAN_COMMUNE)]
        cells = [h3.latlng_to_cell(p.y, p.x, resolution) for p in fine.geometry]
        counts = pd.Series(cells).value_counts()
        every = sorted(set(counts.index) | set(ours["h3_cell"]))  # the same cells as ours
        centres = np.array([h3.cell_to_latlng(c) for c in every])
        xy = gpd.GeoSeries(gpd.points_from_xy(centres[:, 1], centres[:, 0]), crs=4326)
        xy = xy.to_crs(METRIC_CRS)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = DistanceBand(np.column_stack([xy.x, xy.y]), threshold=band, binary=True,
                             silence_warnings=True)  # fmt: skip
            y = counts.reindex(every, fill_value=0).to_numpy(float)
            return esda.G_Local(y, w, transform="B", star=True, permutations=0)

    _, t_naive = timed(naive)
    report(f"grid hotspots, H3 res {resolution} ({len(ours):,} cells)", t_ours, t_naive)


def candidates(engine, points, communes, coverage_naive) -> None:
    import esda
    from libpysal.weights import Queen

    ours, t_ours = timed(lambda: rank_candidates(engine, None, as_of=AS_OF))

    def naive():
        counts = points.groupby("code").size().reindex(communes["code"], fill_value=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = Queen.from_dataframe(communes, ids=communes["code"].tolist(), use_index=False)
            z = esda.G_Local(counts.to_numpy(float), w, transform="B", star=True,
                             permutations=0).Zs  # fmt: skip
        covered = coverage_naive.set_index("code")["covered"].reindex(communes["code"])
        frame = pd.DataFrame({"code": communes["code"], "incidents": counts.to_numpy(), "z": z,
                              "covered": covered.to_numpy()})  # fmt: skip
        frame["mentoring"] = w.sparse @ frame["covered"].to_numpy(float) > 0
        out = frame[~frame["covered"]].copy()
        out["score"] = (0.25 * out["incidents"].rank(pct=True) + 0.25 * out["z"].clip(0, 3) / 3
                        + 0.15 * out["mentoring"])  # fmt: skip
        return out.sort_values("score", ascending=False)

    _, t_naive = timed(naive)
    report(f"candidate ranking ({len(ours):,} uncovered communes)", t_ours, t_naive)


def main() -> None:
    engine = bench_engine()
    with engine.connect() as conn:
        n = conn.scalar(sa.text("SELECT count(*) FROM incident"))
    SECTION.line(f"{n:,} incidents (target {INCIDENTS:,}), 3,321 communes; each step {RUNS} "
                 "runs; ratio = naive / tuquan (medians)")  # fmt: skip
    SECTION.line()
    points, communes = assignment(engine)
    coverage_naive = coverage(engine)
    gi_star(engine, points, communes)
    grid(engine, points)
    candidates(engine, points, communes, coverage_naive)
    engine.dispose()
    SECTION.line()
    SECTION.table(
        ("step", "tuquan", "naive (geopandas, esda)", "ratio naive / tuquan"),
        [(step, ours.show(), peer.show() if peer else "—",
          f"**{peer.median / ours.median:.1f}×**" if peer else "—")
         for step, ours, peer in ROWS],
    )  # fmt: skip
    SECTION.save()


if __name__ == "__main__":
    main()
