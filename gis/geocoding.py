"""The offline geocoder: addresses and coordinates → a loaded current commune and a point.

    geocoder = Geocoder.from_engine(engine)
    geocoder.geocode("thôn 3, xã Ninh Hải, huyện Hoa Lư, tỉnh Ninh Bình")
    geocoder.geocode_many(texts)          # same order; deduplicated; cached in PostGIS
    geocoder.locate(105.97, 20.25)        # point-in-polygon in PostGIS

Every input gets exactly one `GeocodeResult`; nothing raises for bad input.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from functools import partial

import numpy as np
from sqlalchemy.engine import Engine

from gis import geocode_cache
from gis.address_match import MentionFinder
from gis.address_resolve import Resolver
from gis.boundaries import boundary_version
from gis.commune_index import CommuneIndex
from gis.coordinates import ParsedPoint, in_territory, may_be_point, parse_point
from gis.gazetteer import Gazetteer
from gis.geocode_loading import collector_paused, load, settle
from gis.geocode_online import REFINABLE
from gis.geocode_points import PointGeocoding
from gis.geocode_pool import Loaded, Worker, WorkerPool
from gis.geocode_result import Candidate, GeocodeResult, as_text, invalid, unusable
from gis.geocode_workers import Found, resolve_sliced, worker_count
from gis.normalise import MAX_INPUT_CHARS, accent_key_of_nfc, nfc
from gis.progress import Advance, NoProgress, Progress
from gis.settings import Settings

__all__ = ["Candidate", "GeocodeResult", "Geocoder"]

CONFIDENT = 0.85  # an exact-match answer this good skips the fuzzy pass
CONFIDENT_MEMO_SIZE = 200_000  # distinct confident answers remembered in a batch
PROGRESS_STEPS = 200  # progress is reported this many times per batch, not per address


class Geocoder(PointGeocoding):
    """Geocodes with the gazetteer of one database; reloads it when boundaries change."""

    def __init__(
        self,
        engine: Engine,
        gazetteer: Gazetteer,
        refiner=None,
        workers: int | None = None,
        preloaded: list[Worker] = (),
    ) -> None:
        self.engine = engine
        self.refiner = refiner  # gis.geocode_online.OnlineRefiner, or None (offline)
        # Processes for a large batch (gis.geocode_workers); 0: one per CPU, 1: this one.
        self.workers = Settings().geocode_workers if workers is None else workers
        self._close_pool = None  # set by _use: lets the pool of the gazetteer in use go
        self._use(gazetteer, preloaded)

    @classmethod
    def from_engine(cls, engine: Engine, refiner=None, workers: int | None = None) -> Geocoder:
        """Load the gazetteer once (PostGIS units + pre-2025 units + crosswalk) and the
        in-memory commune polygons for batches of coordinates. The batch workers load
        their own gazetteer meanwhile (gis.geocode_loading)."""
        workers = Settings().geocode_workers if workers is None else workers
        gazetteer, preloaded = load(engine, workers, partial(_worker_geocoder, engine))
        geocoder = cls(engine, gazetteer, refiner, workers, preloaded)
        geocoder._index = CommuneIndex.from_engine(engine)
        in_territory(np.zeros(0), np.zeros(0))  # builds the territory boxes now, once
        settle()
        return geocoder

    def _use(self, gazetteer: Gazetteer, preloaded: list[Worker] = ()) -> None:
        self.gazetteer = gazetteer
        self.finder = MentionFinder(gazetteer)
        self.resolver = Resolver(gazetteer)
        # Confident answers of this batch by what the address names (MentionFinder.exact):
        # addresses that differ only in village, street or house parts resolve once.
        self._confident: dict[tuple, GeocodeResult] = {}
        self._index: CommuneIndex | None = None
        self._old_points = None
        # Workers for large batches, forked by the first and kept for the next ones while
        # this gazetteer is in use (gis.geocode_workers); let go with it, or with this object.
        if self._close_pool is not None:
            self._close_pool()
        self._pool = WorkerPool(self._address_item, self._forget_batch, preloaded)
        self._close_pool = weakref.finalize(self, self._pool.close)

    def close(self) -> None:
        """End this geocoder's batch workers now and wait until they are gone (they also go
        with the geocoder, without the wait); a later batch forks others."""
        self._pool.close(wait=True)

    def refresh(self) -> bool:
        """Reload the gazetteer if boundaries were (re)loaded since; True when reloaded."""
        if boundary_version(self.engine) == self.gazetteer.boundary_version:
            return False
        self._use(*load(self.engine, self.workers, partial(_worker_geocoder, self.engine)))
        settle()
        return True

    @property
    def mode(self) -> str:
        return "online" if self.refiner is not None else "offline"

    # -- public -----------------------------------------------------------------------------
    def geocode(self, text: str) -> GeocodeResult:
        """One input → one result (uses the cache like `geocode_many`)."""
        return self.geocode_many([text])[0]

    def geocode_many(
        self, texts: Sequence[str], progress: Progress | None = None, use_cache: bool = True
    ) -> list[GeocodeResult]:
        """Results in input order; each distinct normalised text is resolved once."""
        with collector_paused():
            try:
                return self._geocode_many(texts, progress or NoProgress(), use_cache)
            finally:
                # Freed before the collector resumes, the batch's memos are never scanned.
                self._forget_batch()

    def _geocode_many(
        self, texts: Sequence[str], progress: Progress, use_cache: bool
    ) -> list[GeocodeResult]:
        self.refresh()
        version = self.gazetteer.boundary_version
        keys: list[str | None] = []
        early: dict[int, GeocodeResult] = {}
        first_text: dict[str, tuple[str, str]] = {}  # key → (first text, its NFC form)
        for i, value in enumerate(texts):
            problem = unusable(value)
            if problem:
                early[i] = invalid(as_text(value), problem)
                keys.append(None)
                continue
            text = value if isinstance(value, str) else as_text(value)  # UTF-8 bytes
            clean = nfc(text[:MAX_INPUT_CHARS])
            key = accent_key_of_nfc(clean)  # = cache_key(text)
            keys.append(key)
            if key not in first_text:
                first_text[key] = (text, clean)
        cached = (
            geocode_cache.fetch(self.engine, list(first_text), version, self.mode)
            if use_cache
            else {}
        )
        todo = [k for k in first_text if k not in cached]
        advance = progress.task("Mã hóa địa chỉ / geocoding", len(first_text))
        advance(len(first_text) - len(todo))
        if self.refiner is None and use_cache and todo:
            # Written as they are resolved: the server stores the first while we go on.
            with geocode_cache.writer(self.engine, version, self.mode) as store:
                fresh = self._resolve(todo, first_text, advance, store)
        else:
            fresh = self._resolve(todo, first_text, advance)
            if self.refiner is not None:
                fresh = self._refine(fresh, version, use_cache)
        by_key = {**cached, **fresh}
        out: list[GeocodeResult] = []
        unclaimed = set(fresh)  # a new result goes out as it is to its first text; copies after
        for i, key in enumerate(keys):
            if key is None:
                out.append(early[i])
                continue
            result, text = by_key[key], as_text(texts[i])
            if key in unclaimed and result.text is text:
                unclaimed.discard(key)
                out.append(result)
            else:
                out.append(result.for_text(text))
        return out

    # -- inside -----------------------------------------------------------------------------
    def _refine(
        self, offline: dict[str, GeocodeResult], version: int, use_cache: bool
    ) -> dict[str, GeocodeResult]:
        """The online refinements of offline results, stored in the cache by mode."""
        fresh = self.refiner.refine_many(offline, self)
        if use_cache:
            # A result the service could have refined but did not (an outage, a timeout,
            # the request cap, a point outside the commune) is kept as the offline answer
            # only: the next online batch asks the service again.
            settled, retry = {}, {}
            for key, result in fresh.items():
                before = offline[key]
                if (
                    result is before
                    and before.status == "matched"
                    and (before.precision in REFINABLE)
                ):
                    retry[key] = before
                else:
                    settled[key] = result
            geocode_cache.store_modes(self.engine, {"online": settled, "offline": retry}, version)
        return fresh

    def _resolve(
        self,
        keys: list[str],
        first_text: dict[str, tuple[str, str]],
        advance: Advance,
        found: Found | None = None,
    ) -> dict[str, GeocodeResult]:
        """The result of each key (addresses one by one, points in one vectorised pass);
        ``found`` is given the results as they come, a share at a time."""
        points: list[tuple[str, ParsedPoint]] = []
        addresses: list[str] = []
        for key in keys:
            text, clean = first_text[key]
            point = parse_point(text) if may_be_point(clean) else None
            if point is None:
                addresses.append(key)
            else:
                points.append((key, point))
        step = max(1, len(keys) // PROGRESS_STEPS)

        def located() -> dict[str, GeocodeResult]:
            # In this process while the workers resolve addresses (points are vectorised).
            if not points:
                return {}
            out = self._points(points, {k: first_text[k][0] for k, _ in points})
            advance(len(points))
            return out

        processes = worker_count(self.workers, len(addresses))
        return resolve_sliced(
            addresses, lambda key: self._address(*first_text[key]), processes, advance, step,
            found, located, self._pool, first_text.__getitem__,
            self._forget_batch,  # while the workers do their last chunks, not after them
        )  # fmt: skip

    def _address_item(self, item: tuple[str, str]) -> GeocodeResult:
        """`_address` of a (text, NFC text) pair, as the pool's workers are sent them."""
        return self._address(*item)

    def _forget_batch(self) -> None:
        """Drop what a batch read (at its end, here and in the pool's workers)."""
        self.finder.forget()
        self.resolver.forget()
        self._confident = {}

    def _address(self, text: str, clean: str) -> GeocodeResult:
        parts, accented = self.finder.parts(clean)
        if not parts:
            return invalid(text, "không có chữ / no words in the input")
        mentions, named = self.finder.exact(parts, accented)
        known = self._confident.get(named)
        if known is not None:
            return known.for_text(text)  # the same mentions: the same answer
        result = self.resolver.result(text, mentions, accented)
        if result.status == "matched" and result.score >= CONFIDENT:
            if len(self._confident) < CONFIDENT_MEMO_SIZE:
                self._confident[named] = result
            return result
        g = self.gazetteer
        provinces = {
            code
            for m in mentions
            if m.kind or m.whole
            for u in m.uids
            if g.units[u].level in ("NP", "OP")
            for code in ((g.units[u].code,) if g.units[u].level == "NP" else g.units[u].successors)
        }
        extra = self.finder.fuzzy(parts, mentions, provinces)
        if not extra:
            return result
        fuzzy = self.resolver.result(text, mentions + extra, accented)
        if fuzzy.status == "matched" and (result.status != "matched" or fuzzy.score > result.score):
            return fuzzy
        if result.status == "unmatched" and fuzzy.status == "ambiguous":
            return fuzzy
        return result


def _worker_geocoder(engine: Engine, gazetteer: Gazetteer) -> Loaded:
    """A preloaded batch worker's own geocoder (gis.geocode_loading): how it resolves an
    item and forgets a batch (it never uses the caller's ``engine``)."""
    geocoder = Geocoder(engine, gazetteer, workers=1)
    return geocoder._address_item, geocoder._forget_batch
