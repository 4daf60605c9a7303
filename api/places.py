"""One locator and geocoder per app, shared by the write routes, reloaded when boundaries change.

Loading the gazetteer takes seconds, so it is kept; its per-batch memos are not safe to
share between threads, so one request at a time uses it.
"""

from __future__ import annotations

import threading
from typing import Annotated

import numpy as np
import pandas as pd
from fastapi import Depends, Request
from sqlalchemy.engine import Engine

from gis.boundaries import boundary_version
from gis.geocoding import GeocodeResult
from gis.ingest.locate import Located, Locator


class SharedPlaces:
    """A `Locator` used by one thread at a time, rebuilt after boundaries are reloaded."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.RLock()
        self._locator: Locator | None = None
        self._version: int | None = None

    def _current(self) -> Locator:
        version = boundary_version(self.engine)
        if self._locator is None or version != self._version:
            self._locator, self._version = Locator(self.engine), version
        return self._locator

    def locate(self, lon: np.ndarray, lat: np.ndarray, address: pd.Series | None) -> Located:
        """`Locator.locate`, serialised."""
        with self._lock:
            return self._current().locate(lon, lat, address)

    def geocode_many(self, texts: list[str]) -> list[GeocodeResult]:
        """`Geocoder.geocode_many`, serialised."""
        with self._lock:
            return self._current().geocoder.geocode_many(texts)


_creating = threading.Lock()


def get_places(request: Request) -> SharedPlaces:
    state = request.app.state
    with _creating:
        if getattr(state, "places", None) is None or state.places.engine is not state.engine:
            state.places = SharedPlaces(state.engine)
    return state.places


PlacesDep = Annotated[SharedPlaces, Depends(get_places)]
