"""`tuquan db`: the project-managed local PostGIS cluster and the schema."""

from __future__ import annotations

import typer

from gis import migrations
from gis.cluster import LocalCluster
from gis.database import server_url
from tuquan import context

app = typer.Typer(
    help="Cơ sở dữ liệu / the database: local cluster and schema.", no_args_is_help=True
)


def _cluster() -> LocalCluster:
    if context.settings().database_url:
        raise typer.BadParameter(
            "TUQUAN_DATABASE_URL is set: tuquan uses that server and never starts its own"
        )
    return LocalCluster.from_settings(context.settings())


@app.command()
def start() -> None:
    """Start the local cluster (created on first use in <home>/pg)."""
    cluster = _cluster()
    cluster.start()
    url = cluster.url(context.settings().database_name)
    context.console.print(f"[green]running[/] {cluster.data_dir} on 127.0.0.1:{url.port}")


@app.command()
def stop() -> None:
    """Stop the local cluster."""
    stopped = _cluster().stop()
    context.console.print("[green]stopped[/]" if stopped else "not running")


@app.command()
def status() -> None:
    """Say which database is used and whether it runs."""
    settings = context.settings()
    if settings.database_url:
        url = server_url(settings)
        context.console.print(f"external server {url.render_as_string(hide_password=True)}")
    else:
        cluster = _cluster()
        if not cluster.initialised:
            context.console.print(f"not created yet ({cluster.data_dir}); `tuquan db start`")
            raise typer.Exit(3)
        if not cluster.running():
            context.console.print(f"stopped ({cluster.data_dir}); `tuquan db start`")
            raise typer.Exit(3)
        url = cluster.url(settings.database_name)
        context.console.print(f"running {cluster.data_dir} on 127.0.0.1:{url.port}")
    engine = context.raw_engine()
    current, head = migrations.current_revision(engine), migrations.head_revision(engine)
    state = "[green]up to date[/]" if current == head else "[yellow]run `tuquan db upgrade`[/]"
    context.console.print(f"schema {current or '—'} (code {head}): {state}")


@app.command()
def upgrade() -> None:
    """Create or migrate the schema to the latest revision."""
    revision = migrations.upgrade(context.raw_engine())
    context.console.print(f"schema at [green]{revision}[/]")
