"""Emerging hotspots: Mann–Kendall against pymannkendall, the labels, a Ninh Bình case."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pymannkendall
import pytest
from numpy.testing import assert_allclose

from gis.errors import InputError
from gis.hotspots import IncidentFilter
from gis.trend import emerging_hotspots, label_trends, mann_kendall, trend_result
from tests.gis import analysis_fixtures as fx
from tests.gis.analysis_fixtures import commune_points, insert_incidents, neighbours_of

analysis_url = fx.analysis_url
analysis_engine = fx.analysis_engine


def test_mann_kendall_agrees_with_pymannkendall_with_and_without_ties():
    rng = np.random.default_rng(9)
    series = np.vstack(
        [
            rng.normal(size=(40, 8)),
            rng.integers(0, 4, size=(40, 8)).astype(float),  # many ties
            np.arange(8.0) + rng.normal(0, 0.5, size=(20, 8)),  # clear upward trends
        ]
    )
    ours = mann_kendall(series)
    for k, row in enumerate(series):
        theirs = pymannkendall.original_test(row, alpha=0.05)
        assert ours["s"][k] == theirs.s
        assert_allclose(ours["var_s"][k], theirs.var_s, rtol=1e-12)
        assert_allclose(ours["z"][k], theirs.z, rtol=1e-12, atol=1e-12)
        assert_allclose(ours["p"][k], theirs.p, rtol=1e-9, atol=1e-12)
        assert_allclose(ours["tau"][k], theirs.Tau, rtol=1e-12)
        assert ours["trend"][k] == theirs.trend


def test_labels_follow_the_documented_rules():
    bins = np.array(
        [
            [0, 0, 0, 0, 0],  # never hot
            [0, 0, 0, 0, 2],  # hot in the final year only
            [1, 2, 3, 3, 3],  # always hot, rising
            [3, 3, 2, 1, 1],  # always hot, falling
            [2, 2, 2, 2, 2],  # always hot, flat
            [0, 2, 0, 2, 0],  # on and off
            [-3, -3, 0, 0, 0],  # cold, never hot
        ]
    )
    trend = np.array(
        ["no trend", "increasing", "increasing", "decreasing", "no trend", "no trend", "increasing"]
    )
    assert label_trends(bins, trend).tolist() == [
        "not_hotspot",
        "new",
        "intensifying",
        "diminishing",
        "persistent",
        "sporadic",
        "not_hotspot",
    ]


def _far_apart(engine, count: int) -> list[str]:
    """Commune codes whose neighbourhoods (two rings) do not touch."""
    chosen, blocked = [], set()
    for code in commune_points(engine)["code"]:
        if code in blocked:
            continue
        ring = {code, *neighbours_of(engine, code)}
        second = set().union(*(neighbours_of(engine, c) for c in ring))
        if second & blocked:
            continue
        chosen.append(code)
        blocked |= second
        if len(chosen) == count:
            return chosen
    raise AssertionError("not enough separate communes")


def test_persistent_and_new_hotspots_in_ninh_binh(analysis_engine):
    persistent, new = _far_apart(analysis_engine, 2)
    points = commune_points(analysis_engine).set_index("code")
    clusters = {
        persistent: [persistent, *neighbours_of(analysis_engine, persistent)],
        new: [new, *neighbours_of(analysis_engine, new)],
    }
    for year in range(2020, 2025):
        counts = {code: 2 for code in points.index}  # background
        counts.update({c: 30 for c in clusters[persistent]})
        if year == 2024:
            counts.update({c: 40 for c in clusters[new]})
        codes = np.repeat(list(counts), list(counts.values()))
        insert_incidents(
            analysis_engine,
            points.loc[codes, "lon"],
            points.loc[codes, "lat"],
            commune_code=codes.tolist(),
            occurred_at=datetime(year, 7, 1, tzinfo=UTC),
        )
    frame = emerging_hotspots(
        analysis_engine, IncidentFilter("37", date(2020, 1, 1), date(2025, 1, 1))
    ).set_index("code")
    assert frame.loc[persistent, "years"] == [2020, 2021, 2022, 2023, 2024]
    assert frame.loc[persistent, "incidents_by_year"] == [30] * 5
    assert frame.loc[persistent, "label"] == "persistent"
    assert frame.loc[persistent, "label_vi"] == "Điểm nóng dai dẳng"
    assert frame.loc[new, "label"] == "new"
    assert frame.loc[new, "bin_by_year"][-1] == 3
    far = set(points.index) - set().union(*(set(c) for c in clusters.values()))
    assert (frame.loc[sorted(far), "label"] == "not_hotspot").mean() > 0.9
    stored = trend_result(analysis_engine, IncidentFilter("37", date(2020, 1, 1), date(2025, 1, 1)))
    assert stored.summary["labels"]["persistent"] >= 1 and stored.summary["labels"]["new"] >= 1


def test_a_trend_needs_three_years(analysis_engine):
    with pytest.raises(InputError, match="at least 3 years of incidents; the window has 2"):
        emerging_hotspots(analysis_engine, IncidentFilter("37", date(2023, 1, 1), date(2025, 1, 1)))
