"""What every command needs: settings, a migrated database engine, console and progress."""

from __future__ import annotations

import functools

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.engine import Engine

from gis import migrations
from gis.database import check_postgis, open_engine
from gis.errors import DatabaseUnavailable
from gis.settings import Settings

console = Console()
err_console = Console(stderr=True)


@functools.cache
def settings() -> Settings:
    return Settings()


@functools.cache
def raw_engine() -> Engine:
    """The configured database (the local cluster is started on first use)."""
    engine = open_engine(settings())
    check_postgis(engine)
    return engine


def reset() -> None:
    """Forget the settings and engine (tests change the environment between commands)."""
    if raw_engine.cache_info().currsize:
        raw_engine().dispose()
    raw_engine.cache_clear()
    settings.cache_clear()


def engine() -> Engine:
    """The configured database, refused when its schema is behind the code."""
    eng = raw_engine()
    current, head = migrations.current_revision(eng), migrations.head_revision(eng)
    if current != head:
        raise DatabaseUnavailable(
            f"the database schema is at {current or 'nothing'}, the code needs {head}",
            "run `tuquan db upgrade`",
        )
    return eng


class RichProgress:
    """gis.progress.Progress drawn with rich progress bars on stderr."""

    def __init__(self) -> None:
        self.bars = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=False,
        )

    def __enter__(self) -> RichProgress:
        self.bars.start()
        return self

    def __exit__(self, *exc) -> None:
        self.bars.stop()

    def task(self, description: str, total: int | None):
        task_id = self.bars.add_task(description, total=total)
        return lambda n: self.bars.advance(task_id, n)
